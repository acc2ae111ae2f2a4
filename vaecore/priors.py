"""A learned prior over grids of discrete codes: a small PixelCNN (van den Oord et al., 2016).

The prior factorises p(c) = prod_i p(c_i | c_<i) over the grid's positions in raster order.
Masked convolutions make position i see only the positions before it (mask "A", first layer)
or before it and itself in feature space (mask "B", later layers), so one forward pass gives
every conditional at once: training and scoring are parallel, sampling goes position by position.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from vaecore import checks, losses


class MaskedConv2D(keras.layers.Conv2D):
    """A ``Conv2D`` whose kernel is zero at and after its centre
    (``mask="A"``) or after it (``mask="B"``).
    """

    def __init__(self, filters: int, kernel_size: int, mask: str, **kwargs):
        checks.one_of("mask", mask, ("A", "B"))
        if kernel_size % 2 == 0:
            raise ValueError(
                "kernel_size must be odd so that the kernel has a centre, "
                f"got {kernel_size}"
            )
        super().__init__(filters, kernel_size, padding="same", **kwargs)
        self.mask_type = mask

    def build(self, input_shape):
        super().build(input_shape)
        size = self.kernel_size[0]
        mask = np.ones(self.kernel.shape, np.float32)
        centre = size // 2
        mask[centre, centre + (self.mask_type == "B") :] = (
            0.0  # the centre row, from the centre (A) or after it (B)
        )
        mask[centre + 1 :] = 0.0  # every row below the centre
        self.mask = tf.constant(mask)

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * self.mask)

    def get_config(self):
        return {**super().get_config(), "mask": self.mask_type}


def pixelcnn(num_codes: int, grid_shape: tuple[int, int] = (7, 7), filters: int = 64, blocks: int = 4,
             name: str = "pixelcnn") -> keras.Model:
    """A PixelCNN from a grid of integer codes (batch, height, width) to the logits of p(c_i | c_<i): (..., num_codes).

    Each code is first embedded in ``filters // 2`` dimensions (a one-hot followed by a linear map,
    per position: it keeps the masks' causality, at a fraction of a one-hot's cost), then one mask-A
    5x5 convolution, ``blocks`` residual mask-B 3x3 convolutions and two 1x1 layers.
    """
    checks.integer_at_least("num_codes", num_codes, 2, "a prior over one code has nothing to learn")
    checks.integer_at_least("filters", filters, 1)
    checks.integer_at_least("blocks", blocks, 0)
    checks.sizes("grid_shape", grid_shape)
    codes = keras.Input(shape=tuple(grid_shape), dtype="int32", name="codes")
    h = keras.layers.Embedding(num_codes, max(filters // 2, 1), name="embedding")(codes)
    h = MaskedConv2D(filters, 5, "A", activation="relu")(h)
    for _ in range(blocks):
        h = keras.layers.Add()([h, MaskedConv2D(filters, 3, "B", activation="relu")(h)])
    h = keras.layers.Conv2D(filters, 1, activation="relu")(h)
    logits = keras.layers.Conv2D(num_codes, 1)(h)
    return keras.Model(codes, logits, name=name)


def log_prob(prior: keras.Model, codes) -> tf.Tensor:
    """log p(c) of each grid ``codes`` (batch, height, width) under ``prior``: (batch,) in nats."""
    codes = tf.convert_to_tensor(codes, tf.int32)
    logits = tf.cast(prior(codes), tf.float32)
    per_position = -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=codes, logits=logits)
    return losses.per_example_sum(per_position)


def sample(prior: keras.Model, n: int, seed: int = 0, temperature: float = 1.0) -> np.ndarray:
    """``n`` grids drawn from ``prior``, one position at a time in raster order: (n, height, width) ints.

    Each conditional's logits are divided by ``temperature``: 1 samples the prior itself, lower values
    sharpen every conditional, and 0 takes each one's most likely code (greedy decoding: one grid,
    repeated ``n`` times, which is not the most likely grid in general).
    """
    checks.integer_at_least("n", n, 1)
    temperature = checks.number_in("temperature", temperature, 0.0, math.inf,
                                   "use 1.0 to sample the prior, or 0.0 for its greedy argmax", open_high=True)
    height, width = prior.input_shape[1:3]
    grid = np.zeros((n, height, width), np.int32)
    for index in range(height * width):
        row, column = divmod(index, width)
        logits = tf.cast(prior(grid)[:, row, column], tf.float32)
        if temperature == 0.0:
            grid[:, row, column] = tf.argmax(logits, axis=-1).numpy()
        else:
            drawn = tf.random.stateless_categorical(logits / temperature, 1, seed=(seed, index))
            grid[:, row, column] = drawn[:, 0].numpy()
    return grid
