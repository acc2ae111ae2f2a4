"""Encoders, decoders and VAEs as small ``keras.Model`` subclasses.

A VAE here owns its ``train_step`` and ``test_step`` (as in keras-io's
``vae.py``), so chapters train with ``model.fit`` and get a progress bar,
a history and callbacks for free. The tracked metrics are per-image averages
in nats: ``elbo``, its ``reconstruction`` term E_q[log p(x|z)] and its ``kl``
term; training minimizes -elbo.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from vaecore import data, latents, losses

_KL_ESTIMATORS = ("analytic", "monte_carlo")
_BINARIZATIONS = ("dynamic", "static", "none")
PRECISIONS = ("float32", "mixed_bfloat16")


def _policy(precision: str) -> keras.DTypePolicy:
    """Keras dtype policy for the layers of a network: float32, or bfloat16 arithmetic on float32 weights."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return keras.DTypePolicy(precision)


def _check_latent_dim(latent_dim: int) -> None:
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive integer, got {latent_dim!r}")


def dense_encoder(latent_dim: int, hidden: tuple[int, ...] = (64,), name: str = "encoder") -> keras.Model:
    """MLP from a 28x28x1 image to the mean and log-variance of q(z|x), each from its own head."""
    _check_latent_dim(latent_dim)
    images = keras.Input(shape=data.IMAGE_SHAPE, name="images")
    h = keras.layers.Flatten()(images)
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    return keras.Model(images, list(_gaussian_heads(h, latent_dim, "separate")), name=name)


def dense_decoder(latent_dim: int, hidden: tuple[int, ...] = (64,), name: str = "decoder") -> keras.Model:
    """MLP from a latent code to the 28x28x1 Bernoulli logits of p(x|z)."""
    _check_latent_dim(latent_dim)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Dense(28 * 28)(h)
    return keras.Model(z, keras.layers.Reshape(data.IMAGE_SHAPE)(logits), name=name)


def _gaussian_heads(h, latent_dim: int, heads: str, dtype=None):
    """Mean and log-variance of q(z|x) from features ``h``: two Dense layers, or one split in half."""
    if heads == "separate":
        return (keras.layers.Dense(latent_dim, name="mean", dtype=dtype)(h),
                keras.layers.Dense(latent_dim, name="logvar", dtype=dtype)(h))
    if heads == "split":
        both = keras.layers.Dense(2 * latent_dim, name="mean_and_logvar", dtype=dtype)(h)
        return keras.layers.Lambda(lambda t: t[:, :latent_dim], name="mean")(both), \
            keras.layers.Lambda(lambda t: t[:, latent_dim:], name="logvar")(both)
    raise ValueError(f"heads must be 'separate' or 'split', got {heads!r}")


def conv_encoder(latent_dim: int, filters: tuple[int, int] = (32, 64), heads: str = "separate",
                 hidden: tuple[int, ...] = (), precision: str = "float32", name: str = "encoder") -> keras.Model:
    """Two stride-2 3x3 convolutions (28 -> 13 -> 6), optional Dense layers, then Gaussian heads.

    The defaults are seed 000's model. ``heads="separate"`` is the seed's choice (a Dense layer
    each for mean and log-variance); ``heads="split"`` is TensorFlow's CVAE tutorial (one Dense
    layer cut in two halves). ``hidden`` adds ReLU Dense layers between convolutions and heads.
    ``precision="mixed_bfloat16"`` computes in bfloat16 (weights stay float32), much faster on
    CPUs with bfloat16 instructions (``benchmarks/conv_training_speed.py``); ``GaussianVAE``
    casts the outputs back to float32.
    """
    _check_latent_dim(latent_dim)
    dtype = _policy(precision)
    images = keras.Input(shape=data.IMAGE_SHAPE, name="images")
    h = images
    for count in filters:
        h = keras.layers.Conv2D(count, 3, strides=2, activation="relu", dtype=dtype)(h)
    h = keras.layers.Flatten(dtype=dtype)(h)
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu", dtype=dtype)(h)
    mean, logvar = _gaussian_heads(h, latent_dim, heads, dtype)
    return keras.Model(images, [mean, logvar], name=name)


def conv_decoder(latent_dim: int, filters: tuple[int, int] = (64, 32), hidden: tuple[int, ...] = (),
                 base_channels: int = 32, precision: str = "float32", name: str = "decoder") -> keras.Model:
    """Optional Dense layers, a 7x7 map from z, two stride-2 transposed convolutions (7 -> 14 -> 28), logits.

    The defaults are seed 000's model (a 7x7x32 map, filters (64, 32)). Most of the decoder's
    cost is the transposed convolution that outputs the 28x28 map. ``precision`` as in
    ``conv_encoder``.
    """
    _check_latent_dim(latent_dim)
    dtype = _policy(precision)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = z
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu", dtype=dtype)(h)
    h = keras.layers.Dense(7 * 7 * base_channels, activation="relu", dtype=dtype)(h)
    h = keras.layers.Reshape((7, 7, base_channels), dtype=dtype)(h)
    for count in filters:
        h = keras.layers.Conv2DTranspose(
            count, 3, strides=2, padding="same", activation="relu", dtype=dtype
        )(h)
    logits = keras.layers.Conv2DTranspose(1, 3, padding="same", dtype=dtype)(h)
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


class _ElboModel(keras.Model):
    """What every VAE here shares: binarizing training batches and tracking the ELBO's terms."""

    def __init__(self, binarization: str, **kwargs):
        super().__init__(**kwargs)
        if binarization not in _BINARIZATIONS:
            raise ValueError(f"binarization must be one of {_BINARIZATIONS}, got {binarization!r}")
        self.binarization = binarization
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("elbo", "reconstruction", "kl")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _binarized(self, x):
        if self.binarization == "dynamic":
            return data.binarize_dynamic(x)
        if self.binarization == "static":
            return tf.cast(x > data.STATIC_THRESHOLD, x.dtype)
        return x

    def _track(self, terms: losses.ElboTerms):
        for name, tracker in self.trackers.items():
            tracker.update_state(getattr(terms, name))
        return {name: tracker.result() for name, tracker in self.trackers.items()}


class GaussianVAE(_ElboModel):
    """A VAE with a diagonal-Gaussian q(z|x), a N(0, I) prior and a Bernoulli decoder.

    ``binarization`` says how training images (intensities in [0, 1]) become
    binary inside each step: ``"dynamic"`` (a fresh draw each time), ``"static"``
    (the 0.5 threshold) or ``"none"`` (already binary). ``kl_estimator`` picks the
    closed-form KL or the one-sample Monte Carlo estimate for training; evaluation
    (``test_step``) always uses the closed form and expects binary images.
    """

    def __init__(self, encoder, decoder, *, binarization="dynamic", kl_estimator="analytic", **kwargs):
        super().__init__(binarization, **kwargs)
        if kl_estimator not in _KL_ESTIMATORS:
            raise ValueError(f"kl_estimator must be one of {_KL_ESTIMATORS}, got {kl_estimator!r}")
        self.encoder = encoder
        self.decoder = decoder
        self.kl_estimator = kl_estimator
        self.latent_dim = decoder.input_shape[-1]

    def encode(self, images, training=False):
        """Mean and log-variance of q(z|x), in float32 whatever precision the encoder computes in."""
        mean, logvar = self.encoder(images, training=training)
        return tf.cast(mean, tf.float32), tf.cast(logvar, tf.float32)

    def logits(self, z, training=False):
        """Bernoulli logits of p(x|z), in float32 whatever precision the decoder computes in."""
        return tf.cast(self.decoder(z, training=training), tf.float32)

    def call(self, images, training=False):
        """Bernoulli logits of a reconstruction through one sampled z."""
        mean, logvar = self.encode(images, training=training)
        return self.logits(latents.reparameterize(mean, logvar), training=training)

    def elbo_terms(self, x, kl_estimator: str = "analytic") -> losses.ElboTerms:
        """Per-image single-sample ELBO of binary images ``x``."""
        mean, logvar = self.encode(x)
        z = latents.reparameterize(mean, logvar)
        reconstruction = losses.bernoulli_log_likelihood(x, self.logits(z))
        if kl_estimator == "analytic":
            kl = losses.kl_to_standard_normal(mean, logvar)
        else:
            kl = losses.kl_monte_carlo(z, mean, logvar)
        return losses.elbo_terms(reconstruction, kl)

    def train_step(self, batch):
        x = self._binarized(_checked_images(batch, self.encoder.input_shape[1:]))
        with tf.GradientTape() as tape:
            terms = self.elbo_terms(x, self.kl_estimator)
            loss = -tf.reduce_mean(terms.elbo)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self._track(terms)

    def test_step(self, batch):
        x = _checked_images(batch, self.encoder.input_shape[1:], binary=True)
        terms = self.elbo_terms(x, "analytic")
        return self._track(terms)

    def importance_weighted_log_likelihood(self, x, k: int, chunk: int = 50):
        """Per-image estimate of log p(x) from ``k`` importance samples of q(z|x) (binary ``x``).

        Samples are drawn ``chunk`` at a time and combined with log-sum-exp, so memory stays
        bounded for large ``k``.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        x = tf.convert_to_tensor(x, tf.float32)
        mean, logvar = self.encode(x)
        log_weights = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            z = latents.reparameterize(tf.repeat(mean[None], n, 0), tf.repeat(logvar[None], n, 0))
            logits = self.logits(tf.reshape(z, [-1, self.latent_dim]))
            # z is (n, batch, d) flattened sample-major, so the images are tiled sample-major too.
            log_px_z = losses.bernoulli_log_likelihood(tf.tile(x, [n, 1, 1, 1]), logits)
            log_weights.append(tf.reshape(log_px_z, [n, -1]) + losses.gaussian_log_density(z, 0.0, 0.0)
                               - losses.gaussian_log_density(z, mean, logvar))
        return losses.importance_weighted_bound(tf.concat(log_weights, axis=0))

    def bernoulli_means(self, z):
        """Bernoulli means sigmoid(logits) of p(x|z) for codes ``z`` of shape (n, latent_dim), as NumPy."""
        return tf.sigmoid(self.logits(tf.convert_to_tensor(z, tf.float32))).numpy()

    def reconstruct(self, images):
        """Bernoulli means of p(x|z) at the encoder's mean: the usual picture of a reconstruction."""
        mean, _ = self.encode(images)
        return self.bernoulli_means(mean)

    def sample_prior(self, n: int, seed: int = 0):
        """Bernoulli means of p(x|z) for ``n`` codes z drawn from the N(0, I) prior."""
        return self.bernoulli_means(tf.random.stateless_normal((n, self.latent_dim), seed=(seed, 0)))


def dense_logits_encoder(num_latents: int, num_classes: int, hidden: tuple[int, ...] = (128,),
                         name: str = "encoder") -> keras.Model:
    """MLP from a 28x28x1 image to the logits of ``num_latents`` categoricals of ``num_classes`` each."""
    _check_latent_dim(num_latents)
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer of at least 2, got {num_classes!r}")
    images = keras.Input(shape=data.IMAGE_SHAPE, name="images")
    h = keras.layers.Flatten()(images)
    for units in hidden:
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Dense(num_latents * num_classes, name="logits")(h)
    return keras.Model(images, keras.layers.Reshape((num_latents, num_classes))(logits), name=name)


class CategoricalVAE(_ElboModel):
    """A VAE whose code is ``num_latents`` one-hot vectors of ``num_classes``, with a uniform prior.

    ``estimator`` says how the training step gets a gradient through the discrete sample:

    - ``"none"``: sample and one-hot encode; no gradient reaches the encoder through the sample
      (only the KL term's gradient does). Chapter 3's failure, kept as a baseline.
    - ``"reinforce"``: the score-function estimator with a moving-average baseline.
    - ``"gumbel_softmax"``: the relaxed sample at ``temperature`` (biased, low variance).
    - ``"straight_through"``: the one-hot sample forward, the softmax's gradient backward.

    The ELBO it reports is always the discrete one: reconstruction at a one-hot sample minus
    the closed-form KL to the uniform prior; ``test_step`` evaluates exactly that.
    """

    ESTIMATORS = ("none", "reinforce", "gumbel_softmax", "straight_through")

    def __init__(self, encoder, decoder, *, estimator, binarization="dynamic", temperature=1.0,
                 baseline_decay=0.99, **kwargs):
        super().__init__(binarization, **kwargs)
        if estimator not in self.ESTIMATORS:
            raise ValueError(f"estimator must be one of {self.ESTIMATORS}, got {estimator!r}")
        latents.check_temperature(temperature)
        self.encoder, self.decoder = encoder, decoder
        self.estimator = estimator
        self.num_latents, self.num_classes = encoder.output_shape[1:]
        self.temperature = tf.Variable(float(temperature), trainable=False, name="temperature")
        self.baseline = tf.Variable(0.0, trainable=False, name="baseline")
        self.baseline_decay = baseline_decay

    def decode(self, z):
        """Bernoulli logits of p(x|z) for codes of shape (batch, num_latents, num_classes)."""
        return self.decoder(tf.reshape(z, [tf.shape(z)[0], self.num_latents * self.num_classes]))

    def call(self, images, training=False):
        return self.decode(latents.categorical_sample(self.encoder(images, training=training)))

    def elbo_terms(self, x) -> losses.ElboTerms:
        """Per-image ELBO at one exact one-hot sample (no relaxation), with the closed-form KL."""
        logits = self.encoder(x)
        reconstruction = losses.bernoulli_log_likelihood(x, self.decode(latents.categorical_sample(logits)))
        return losses.elbo_terms(reconstruction, losses.kl_categorical_to_uniform(logits))

    def training_sample(self, logits):
        """The code the training step decodes; how (and whether) it passes gradients depends on ``estimator``."""
        if self.estimator == "gumbel_softmax":
            return latents.gumbel_softmax(logits, self.temperature)
        z = latents.categorical_sample(logits)
        if self.estimator == "straight_through":
            return latents.straight_through(z, tf.nn.softmax(logits))
        return z

    def train_step(self, batch):
        x = self._binarized(_checked_images(batch, self.encoder.input_shape[1:]))
        with tf.GradientTape() as tape:
            logits = self.encoder(x)
            z = self.training_sample(logits)
            reconstruction = losses.bernoulli_log_likelihood(x, self.decode(z))
            terms = losses.elbo_terms(reconstruction, losses.kl_categorical_to_uniform(logits))
            loss = -tf.reduce_mean(terms.elbo)
            if self.estimator == "reinforce":
                log_q = latents.categorical_log_prob(logits, z)
                loss -= tf.reduce_mean(latents.score_function_surrogate(log_q, reconstruction, self.baseline))
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        if self.estimator == "reinforce":
            decay = self.baseline_decay
            self.baseline.assign(decay * self.baseline + (1.0 - decay) * tf.reduce_mean(reconstruction))
        return self._track(terms)

    def test_step(self, batch):
        x = _checked_images(batch, self.encoder.input_shape[1:], binary=True)
        return self._track(self.elbo_terms(x))

    def reconstruct(self, images):
        """Bernoulli means of p(x|z) at each image's most probable code."""
        return tf.sigmoid(self.decode(latents.one_hot_argmax(self.encoder(images)))).numpy()

    def sample_prior(self, n: int, seed: int = 0):
        """Bernoulli means of p(x|z) for ``n`` codes drawn from the uniform prior."""
        logits = tf.zeros((n, self.num_latents, self.num_classes))
        z = tf.one_hot(latents.gumbel_max_sample(logits, seed=(seed, 0)), self.num_classes)
        return tf.sigmoid(self.decode(z)).numpy()


def _checked_images(batch, expected_shape, binary: bool = False) -> tf.Tensor:
    """The images of a batch as float32, with shape and range checked (inside the graph)."""
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    if tuple(x.shape[1:]) != tuple(expected_shape):
        raise ValueError(
            f"images have shape {tuple(x.shape)}, the model expects (batch, {', '.join(map(str, expected_shape))}); "
            "use vaecore.data.to_unit_interval to turn (batch, 28, 28) uint8 MNIST into that layout."
        )
    x = tf.cast(x, tf.float32)
    tf.debugging.assert_greater_equal(
        tf.reduce_min(x), 0.0, message="pixel values must lie in [0, 1]; divide uint8 pixels by 255"
    )
    tf.debugging.assert_less_equal(
        tf.reduce_max(x), 1.0, message="pixel values must lie in [0, 1]; divide uint8 pixels by 255"
    )
    if binary:
        tf.debugging.assert_equal(
            tf.reduce_max(x * (1.0 - x)),
            0.0,
            message="evaluation images must be binary (0 or 1): binarize them with "
            "vaecore.data.binarize_fixed or binarize_static first",
        )
    return x


def evaluate_elbo(model: keras.Model, images, batch_size: int = 1000) -> dict[str, float]:
    """Mean test ELBO, reconstruction and KL (nats per image) over binary ``images``."""
    results = model.evaluate(data.eval_dataset(images, batch_size), verbose=0, return_dict=True)
    return {name: float(results[name]) for name in ("elbo", "reconstruction", "kl")}


def evaluate_log_likelihood(model: GaussianVAE, images, k: int, batch_size: int = 100) -> float:
    """Mean importance-weighted estimate of log p(x) (nats per image) over binary ``images``."""
    estimates = [model.importance_weighted_log_likelihood(images[start:start + batch_size], k).numpy()
                 for start in range(0, len(images), batch_size)]
    return float(np.mean(np.concatenate(estimates)))
