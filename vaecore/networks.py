"""Encoder and decoder networks: dense and convolutional, Gaussian heads and categorical logits.

Builders return functional ``keras.Model`` objects that know nothing about VAEs; ``models``
puts an encoder and a decoder together. ``precision`` picks float32 or bfloat16 arithmetic
(weights stay float32).
"""

from __future__ import annotations

import keras
import numpy as np

from vaecore import checks
from vaecore.data import IMAGE_SHAPE

PRECISIONS = ("float32", "mixed_bfloat16")


def _policy(precision: str) -> keras.DTypePolicy:
    """Keras dtype policy for the layers of a network: float32, or bfloat16 arithmetic on float32 weights."""
    checks.one_of("precision", precision, PRECISIONS)
    return keras.DTypePolicy(precision)


def _check_latent_dim(latent_dim: int) -> None:
    checks.integer_at_least("latent_dim", latent_dim, 1)


def dense_encoder(latent_dim: int, hidden: tuple[int, ...] = (64,), name: str = "encoder") -> keras.Model:
    """MLP from a 28x28x1 image to the mean and log-variance of q(z|x), each from its own head."""
    _check_latent_dim(latent_dim)
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    h = keras.layers.Flatten()(images)
    for units in checks.sizes("hidden", hidden):
        h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(images, list(_gaussian_heads(h, latent_dim, "separate")), name=name)


def dense_decoder(latent_dim: int, hidden: tuple[int, ...] = (64,), name: str = "decoder") -> keras.Model:
    """MLP from a latent code to the 28x28x1 Bernoulli logits of p(x|z)."""
    _check_latent_dim(latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for units in checks.sizes("hidden", hidden):
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Dense(28 * 28)(h)
    return keras.Model(z, keras.layers.Reshape(IMAGE_SHAPE)(logits), name=name)


def _gaussian_heads(h, latent_dim: int, heads: str, dtype=None):
    """Mean and log-variance of q(z|x) from features ``h``: two Dense layers, or one split in half."""
    checks.one_of("heads", heads, ("separate", "split"))
    if heads == "separate":
        return (keras.layers.Dense(latent_dim, name="mean", dtype=dtype)(h),
                keras.layers.Dense(latent_dim, name="logvar", dtype=dtype)(h))
    both = keras.layers.Dense(2 * latent_dim, name="mean_and_logvar", dtype=dtype)(h)
    return keras.layers.Lambda(lambda t: t[:, :latent_dim], name="mean")(both), \
        keras.layers.Lambda(lambda t: t[:, latent_dim:], name="logvar")(both)


def conv_encoder(
    latent_dim: int,
    filters: tuple[int, int] = (32, 64),
    heads: str = "separate",
    hidden: tuple[int, ...] = (),
    precision: str = "float32",
    name: str = "encoder",
) -> keras.Model:
    """Two stride-2 3x3 convolutions (28 -> 13 -> 6), optional Dense layers,
    then Gaussian heads.

    The defaults are the Hatena article's model. ``heads="separate"`` is the
    article's choice (a Dense layer each for mean and log-variance);
    ``heads="split"`` is TensorFlow's CVAE tutorial (one Dense layer cut in
    two halves). ``hidden`` adds ReLU Dense layers between convolutions and
    heads. ``precision="mixed_bfloat16"`` computes in bfloat16 (weights stay
    float32), much faster on CPUs with bfloat16 instructions (``python -m
    vaecore.speed``); ``GaussianVAE`` casts the outputs back to float32.
    """
    _check_latent_dim(latent_dim)
    dtype = _policy(precision)
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    h = images
    for count in checks.sizes("filters", filters):
        h = keras.layers.Conv2D(
            count, 3, strides=2, activation="relu", dtype=dtype
        )(h)
    h = keras.layers.Flatten(dtype=dtype)(h)
    for units in checks.sizes("hidden", hidden):
        h = keras.layers.Dense(units, activation="relu", dtype=dtype)(h)
    mean, logvar = _gaussian_heads(h, latent_dim, heads, dtype)
    return keras.Model(images, [mean, logvar], name=name)


def conv_decoder(
    latent_dim: int,
    filters: tuple[int, int] = (64, 32),
    hidden: tuple[int, ...] = (),
    base_channels: int = 32,
    precision: str = "float32",
    name: str = "decoder",
) -> keras.Model:
    """Optional Dense layers, a 7x7 map from z, two stride-2 transposed
    convolutions (7 -> 14 -> 28), logits.

    The defaults are the Hatena article's model (a 7x7x32 map, filters (64,
    32)). Most of the decoder's cost is the transposed convolution that
    outputs the 28x28 map. ``precision`` as in ``conv_encoder``.
    """
    _check_latent_dim(latent_dim)
    dtype = _policy(precision)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for units in checks.sizes("hidden", hidden):
        h = keras.layers.Dense(units, activation="relu", dtype=dtype)(h)
    h = keras.layers.Dense(
        7 * 7 * base_channels, activation="relu", dtype=dtype
    )(h)
    h = keras.layers.Reshape((7, 7, base_channels), dtype=dtype)(h)
    for count in checks.sizes("filters", filters):
        h = keras.layers.Conv2DTranspose(
            count,
            3,
            strides=2,
            padding="same",
            activation="relu",
            dtype=dtype,
        )(h)
    logits = keras.layers.Conv2DTranspose(
        1, 3, padding="same", dtype=dtype
    )(h)
    return keras.Model(z, logits, name=name)


def copy_to_split_heads(separate: keras.Model, split: keras.Model) -> None:
    """Give ``split`` (``heads="split"``) the function of ``separate`` (``heads="separate"``).

    The trunk's weights are copied layer by layer, and the two heads' kernels and biases are
    concatenated into the split head's: the two layouts hold the same weights, arranged differently.
    """
    trunk = [layer for layer in separate.layers if layer.name not in ("mean", "logvar")]
    targets = [layer for layer in split.layers if layer.name not in ("mean_and_logvar", "mean", "logvar")]
    if [layer.__class__ for layer in trunk] != [layer.__class__ for layer in targets]:
        raise ValueError("the two encoders must differ only in their heads")
    for source, target in zip(trunk, targets):
        target.set_weights(source.get_weights())
    mean, logvar = separate.get_layer("mean"), separate.get_layer("logvar")
    split.get_layer("mean_and_logvar").set_weights(
        [np.concatenate([a, b], axis=-1) for a, b in zip(mean.get_weights(), logvar.get_weights())]
    )


def dense_logits_encoder(num_latents: int, num_classes: int, hidden: tuple[int, ...] = (128,),
                         name: str = "encoder") -> keras.Model:
    """MLP from a 28x28x1 image to the logits of ``num_latents`` categoricals of ``num_classes`` each."""
    checks.integer_at_least("num_latents", num_latents, 1)
    checks.integer_at_least("num_classes", num_classes, 2, "a categorical needs two classes or more")
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    h = keras.layers.Flatten()(images)
    for units in checks.sizes("hidden", hidden):
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Dense(num_latents * num_classes, name="logits")(h)
    return keras.Model(images, keras.layers.Reshape((num_latents, num_classes))(logits), name=name)


def conv_grid_encoder(code_dim: int, filters: tuple[int, int] = (32, 64), residual_blocks: int = 0,
                      name: str = "encoder") -> keras.Model:
    """Two stride-2 3x3 convolutions (28 -> 14 -> 7) and a 1x1 convolution: a 7x7 grid of ``code_dim``-vectors.

    The encoder of a VQ-VAE (as keras-io's ``vq_vae.py``): no heads, one vector per grid cell,
    which sees the 7x7 pixels of :func:`grid_cell_pixels`. Each of ``residual_blocks`` (3x3 then
    1x1 convolution, added back, as van den Oord et al.'s encoder) widens that view by 4 pixels
    on every side.
    """
    checks.integer_at_least("code_dim", code_dim, 1)
    checks.integer_at_least("residual_blocks", residual_blocks, 0)
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    h = images
    for count in checks.sizes("filters", filters):
        h = keras.layers.Conv2D(count, 3, strides=2, padding="same", activation="relu")(h)
    for _ in range(residual_blocks):
        inner = keras.layers.Conv2D(filters[-1], 3, padding="same", activation="relu")(keras.layers.ReLU()(h))
        h = keras.layers.Add()([h, keras.layers.Conv2D(filters[-1], 1)(inner)])
    return keras.Model(images, keras.layers.Conv2D(code_dim, 1, name="vectors")(keras.layers.ReLU()(h)), name=name)


def grid_cell_pixels(cell: int, residual_blocks: int = 0) -> range:
    """The image rows (or columns) that the vector of grid row (or column) ``cell`` depends on.

    TensorFlow's "same" padding with stride 2 pads after, not before: each stride-2 layer's output
    i sees inputs 2i..2i+2, so cell j sees pixels 4j..4j+6, and every residual block one cell more
    on each side. Pixels outside the image are padding, the same for every image.
    """
    checks.integer_at_least("cell", cell, 0)
    checks.number_in("cell", cell, 0, 6, "the grid has rows and columns 0 to 6")
    checks.integer_at_least("residual_blocks", residual_blocks, 0)
    return range(max(0, 4 * (cell - residual_blocks)), min(IMAGE_SHAPE[0], 4 * (cell + residual_blocks) + 7))


def conv_grid_decoder(code_dim: int, filters: tuple[int, int] = (64, 32), name: str = "decoder") -> keras.Model:
    """From a 7x7 grid of ``code_dim``-vectors, two stride-2 transposed convolutions (7 -> 14 -> 28) to logits."""
    checks.integer_at_least("code_dim", code_dim, 1)
    grid = keras.Input(shape=(7, 7, code_dim), name="grid")
    h = grid
    for count in checks.sizes("filters", filters):
        h = keras.layers.Conv2DTranspose(count, 3, strides=2, padding="same", activation="relu")(h)
    return keras.Model(grid, keras.layers.Conv2DTranspose(1, 3, padding="same")(h), name=name)
