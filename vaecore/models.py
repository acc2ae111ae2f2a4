"""VAEs as small ``keras.Model`` subclasses that own their ``train_step`` and ``test_step``.

As in keras-io's ``vae.py``, chapters train with ``model.fit`` and get a progress bar, a history
and callbacks for free. Each model names the terms it tracks (per-image averages in nats);
``test_step`` reports the true ELBO of binary test images, whatever the training objective was.
The networks come from ``vaecore.networks``; a model only puts them together.

Every model decodes with the same two names, ``logits(z)`` and ``bernoulli_means(z)``, for its own
kind of code z, and names among its bases the protocols of ``vaecore.contracts`` it fulfils.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from vaecore import checks, contracts, data, estimators, latents, losses, quantizers


class TrackedModel(keras.Model):
    """What every model here shares: binarizing training batches in the step and tracking named terms.

    ``binarization`` says how training images (intensities in [0, 1]) become binary inside each
    step: ``"stochastic"`` (a fresh draw each time), ``"threshold"`` (the 0.5 threshold) or ``"none"``
    (already binary). ``tracked`` names the terms the model reports, in order.
    """

    def __init__(self, binarization: str, tracked: tuple[str, ...], **kwargs):
        super().__init__(**kwargs)
        self.binarization = binarization
        self.binarize = data.training_binarization(binarization)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in tracked}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def track(self, terms: dict) -> dict:
        """Add per-example ``terms`` to their trackers; return the running means of those terms."""
        for name, values in terms.items():
            self.trackers[name].update_state(values)
        return {name: self.trackers[name].result() for name in terms}

    def minimize(self, tape: tf.GradientTape, loss: tf.Tensor) -> None:
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))


ELBO_TERMS = ("elbo", "reconstruction", "kl")


class GaussianVAE(TrackedModel, contracts.Decoding, contracts.ImportanceSampled, contracts.GaussianPosterior):
    """A VAE with a diagonal-Gaussian q(z|x), a N(0, I) prior and a Bernoulli decoder.

    ``kl_estimator`` picks the closed-form KL (``"analytic"``) or the one-sample Monte Carlo
    estimate (``"monte_carlo"``) for training; ``test_step`` always uses the closed form.
    ``kl_warmup_steps`` = n > 0 trains on reconstruction - w * KL with a weight w that rises linearly
    from 1/n at the first step to 1 at step n (Sønderby et al., 2016); the tracked ``elbo`` stays the ELBO.
    """

    def __init__(self, encoder, decoder, *, binarization="stochastic", kl_estimator="analytic", kl_warmup_steps=0,
                 **kwargs):
        super().__init__(binarization, ELBO_TERMS, **kwargs)
        checks.one_of("kl_estimator", kl_estimator, ("analytic", "monte_carlo"))
        self.kl_warmup_steps = checks.integer_at_least("kl_warmup_steps", kl_warmup_steps, 0,
                                                       "0 trains on the ELBO from the first step")
        self.encoder = encoder
        self.decoder = decoder
        self.kl_estimator = kl_estimator
        self.latent_dim = decoder.input_shape[-1]

    def kl_weight(self, step) -> tf.Tensor:
        """The KL's weight at training step ``step`` (0 for the first):
        min(1, (step + 1) / kl_warmup_steps), or 1 without a warm-up.

        Computed from the step count inside the compiled step, so it is
        exact however many steps run per call; in float64, rounded once,
        so it equals the formula in Python stored in float32.
        """
        if self.kl_warmup_steps == 0:
            return tf.constant(1.0)
        ramp = tf.cast(step + 1, tf.float64) / self.kl_warmup_steps
        return tf.cast(tf.minimum(ramp, 1.0), tf.float32)

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

    def elbo_terms(
        self, x, kl_estimator: str = "analytic"
    ) -> losses.ElboTerms:
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
        x = self.binarize(data.image_batch(batch))
        with tf.GradientTape() as tape:
            terms = self.elbo_terms(x, self.kl_estimator)
            objective = terms.elbo
            if self.kl_warmup_steps:
                weight = self.kl_weight(self.optimizer.iterations)
                objective = terms.reconstruction - weight * terms.kl
            loss = -tf.reduce_mean(objective)
        self.minimize(tape, loss)
        return self.track(terms._asdict())

    def test_step(self, batch):
        return self.track(self.elbo_terms(data.image_batch(batch, binary=True))._asdict())

    def log_importance_weights(self, x, num_samples: int) -> tf.Tensor:
        """log p(x, z) - log q(z|x) for ``num_samples`` draws z ~ q(z|x) per image: (num_samples, batch)."""
        mean, logvar = self.encode(x)
        z = latents.reparameterize(tf.repeat(mean[None], num_samples, 0), tf.repeat(logvar[None], num_samples, 0))
        logits = self.logits(tf.reshape(z, [-1, self.latent_dim]))
        # z is (n, batch, d) flattened sample-major, so the images are tiled sample-major too.
        log_px_z = tf.reshape(losses.bernoulli_log_likelihood(tf.tile(x, [num_samples, 1, 1, 1]), logits),
                              [num_samples, -1])
        return log_px_z + losses.gaussian_log_density(z, 0.0, 0.0) - losses.gaussian_log_density(z, mean, logvar)

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


class CategoricalVAE(TrackedModel, contracts.Decoding, contracts.ImportanceSampled, contracts.Enumerable):
    """A VAE whose code is ``num_latents`` one-hot vectors of ``num_classes``, with a uniform prior.

    ``estimator`` (a ``vaecore.estimators.Estimator``) says how a training step gets a gradient
    through the discrete code. The tracked ``elbo``, ``reconstruction`` and ``kl`` are always the
    discrete ELBO's: the reconstruction at an exact one-hot sample of q(z|x) and the closed-form KL
    to the uniform prior. An estimator that trains on a relaxed code optimises another objective (Jang
    et al.'s: the reconstruction at the relaxed code minus the categorical KL; Maddison et al.'s relaxed
    ELBO: minus a Concrete KL instead); the model then also tracks that objective's value, as
    ``relaxed_elbo``, and scores the discrete ELBO at the one-hot argmax of the same perturbed logits
    (an exact Gumbel-Max draw).
    """

    def __init__(self, encoder, decoder, *, estimator: estimators.Estimator, binarization="stochastic", **kwargs):
        if not isinstance(estimator, estimators.Estimator):
            raise ValueError(f"estimator must be a vaecore.estimators.Estimator, got {estimator!r}; "
                             "pass e.g. estimators.GumbelSoftmax(temperature=1.0)")
        super().__init__(binarization, ELBO_TERMS + (("relaxed_elbo",) if estimator.relaxed else ()), **kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.estimator = estimator
        self.num_latents, self.num_classes = encoder.output_shape[1:]

    def logits(self, z):
        """Bernoulli logits of p(x|z) for codes of shape (batch, num_latents, num_classes)."""
        return self.decoder(tf.reshape(z, [tf.shape(z)[0], self.num_latents * self.num_classes]))

    def bernoulli_means(self, z):
        """Bernoulli means sigmoid(logits) of p(x|z) for codes (batch, num_latents, num_classes), as NumPy."""
        return tf.sigmoid(self.logits(tf.convert_to_tensor(z, tf.float32))).numpy()

    def call(self, images, training=False):
        return self.logits(latents.categorical_sample(self.encoder(images, training=training)))

    def reconstruction(self, x, codes) -> tf.Tensor:
        """log p(x|z) for codes of shape (samples, batch, num_latents, num_classes): (samples, batch)."""
        samples = tf.shape(codes)[0]
        logits = self.logits(tf.reshape(codes, [-1, self.num_latents, self.num_classes]))
        return tf.reshape(losses.bernoulli_log_likelihood(tf.tile(x, [samples, 1, 1, 1]), logits), [samples, -1])

    def reward(self, x):
        """f(z) = log p(x|z) under this decoder, as a function of one code per image of ``x``: the reward a
        gradient estimator sees (``gradients.exact_gradient`` and ``gradients.estimates`` take it)."""
        return lambda code: losses.bernoulli_log_likelihood(x, self.logits(code))

    def train_step(self, batch):
        self.estimator.before_step(self.optimizer.iterations)
        x = self.binarize(data.image_batch(batch))
        with tf.GradientTape() as tape:
            logits = self.encoder(x, training=True)
            objective, codes, rewards = self.estimator.objective(
                logits, lambda codes: self.reconstruction(x, codes)
            )
            kl = losses.kl_categorical_to_uniform(logits)
            loss = tf.reduce_mean(kl - objective)
        self.minimize(tape, loss)
        self.estimator.update(rewards)
        terms = {"kl": kl}
        if self.estimator.relaxed:
            # The value of the objective trained on, whatever the estimator.
            terms["relaxed_elbo"] = objective - kl
            rewards = self.reconstruction(x, latents.one_hot_argmax(codes))
        reconstruction = tf.reduce_mean(rewards, 0)
        return self.track(
            {
                "elbo": reconstruction - kl,
                "reconstruction": reconstruction,
                **terms,
            }
        )

    def test_step(self, batch):
        x = data.image_batch(batch, binary=True)
        logits = self.encoder(x)
        reconstruction = self.reconstruction(x, latents.categorical_sample(logits)[None])[0]
        kl = losses.kl_categorical_to_uniform(logits)
        return self.track({"elbo": reconstruction - kl, "reconstruction": reconstruction, "kl": kl})

    def log_importance_weights(self, x, num_samples: int) -> tf.Tensor:
        """log p(x, z) - log q(z|x) for ``num_samples`` exact one-hot draws z ~ q(z|x): (num_samples, batch)."""
        logits = tf.repeat(self.encoder(x)[None], num_samples, 0)
        codes = latents.categorical_sample(logits)
        log_q = losses.categorical_log_prob(tf.reshape(logits, [-1, self.num_latents, self.num_classes]),
                                            tf.reshape(codes, [-1, self.num_latents, self.num_classes]))
        log_prior = -self.num_latents * math.log(self.num_classes)
        return self.reconstruction(x, codes) + log_prior - tf.reshape(log_q, [num_samples, -1])

    def log_weights_of_every_code(self, x) -> tuple[tf.Tensor, tf.Tensor]:
        """log p(x, z) - log q(z|x) and log q(z|x) for every code z of a small code: two (num_codes, batch)."""
        codes, log_q = estimators.every_code(self.encoder(x))
        log_prior = -self.num_latents * math.log(self.num_classes)
        return self.reconstruction(x, codes) + log_prior - log_q, log_q

    def reconstruct(self, images):
        """Bernoulli means of p(x|z) at each image's most probable code."""
        return self.bernoulli_means(latents.one_hot_argmax(self.encoder(images)))

    def sample_prior(self, n: int, seed: int = 0):
        """Bernoulli means of p(x|z) for ``n`` codes drawn from the uniform prior."""
        logits = tf.zeros((n, self.num_latents, self.num_classes))
        return self.bernoulli_means(tf.one_hot(latents.gumbel_max_sample(logits, seed=(seed, 0)), self.num_classes))


class VQVAE(TrackedModel, contracts.Decoding, contracts.DeterministicCode):
    """A VQ-VAE: an encoder's grid of vectors, each snapped to a code by ``quantizer``, and a Bernoulli decoder.

    The posterior is a point mass on the encoder's codes, so with a uniform prior over the
    ``num_codes`` codes of each of the grid's cells the ELBO is the reconstruction minus
    cells x log(num_codes); that is the tracked ``elbo``. A learned prior's bound comes from
    ``vaecore.evaluation.code_prior_bound``. The training loss adds the quantizer's own loss terms;
    ``perplexity`` and ``codes_used`` (a fraction) count codes over a whole epoch or test set.
    """

    def __init__(self, encoder, quantizer, decoder, *, binarization="stochastic", **kwargs):
        super().__init__(binarization, ("elbo", "reconstruction", "codebook_loss", "commitment_loss"), **kwargs)
        if not isinstance(quantizer, contracts.Quantizer):
            raise ValueError(f"quantizer must be a vaecore quantizer ({', '.join(quantizers.REGISTRY)}), got "
                             f"{quantizer!r}; pass e.g. quantizers.VectorQuantizer(128, code_dim=16)")
        if encoder.output_shape[-1] != quantizer.code_dim:
            raise ValueError(f"the encoder outputs vectors of size {encoder.output_shape[-1]} but the quantizer "
                             f"expects code_dim={quantizer.code_dim}; build them with the same size")
        self.encoder, self.quantizer, self.decoder = encoder, quantizer, decoder
        self.grid_shape = tuple(encoder.output_shape[1:-1])
        self.uniform_code_nats = math.prod(self.grid_shape) * math.log(quantizer.num_codes)
        self.usage = quantizers.CodeUsage(quantizer.num_codes)

    @property
    def metrics(self):
        return super().metrics + [self.usage]

    def encode(self, images, training=False) -> contracts.Quantization:
        """The encoder's grid of vectors, quantized (``Keras.Model.quantize`` is another thing: int8 weights)."""
        return self.quantizer(self.encoder(images, training=training), training=training)

    def call(self, images, training=False):
        return self.decoder(self.encode(images, training).quantized, training=training)

    def _step(self, x, training: bool):
        quantization = self.encode(x, training)
        reconstruction = losses.bernoulli_log_likelihood(x, self.decoder(quantization.quantized, training=training))
        terms = {"elbo": reconstruction - self.uniform_code_nats, "reconstruction": reconstruction,
                 "codebook_loss": quantization.codebook_loss, "commitment_loss": quantization.commitment_loss}
        return quantization, terms

    def train_step(self, batch):
        x = self.binarize(data.image_batch(batch))
        with tf.GradientTape() as tape:
            quantization, terms = self._step(x, training=True)
            loss = tf.reduce_mean(quantization.loss - terms["reconstruction"])
        self.minimize(tape, loss)
        self.usage.update_state(quantization.codes)
        return {**self.track(terms), **self.usage.result()}

    def test_step(self, batch):
        quantization, terms = self._step(data.image_batch(batch, binary=True), training=False)
        self.usage.update_state(quantization.codes)
        return {**self.track(terms), **self.usage.result()}

    def codes(self, images) -> tf.Tensor:
        """Each image's grid of integer codes: (batch, *grid_shape)."""
        return self.encode(tf.convert_to_tensor(images, tf.float32)).codes

    def reconstruction_and_codes(self, x) -> tuple[tf.Tensor, tf.Tensor]:
        """log p(x|c) of binary images at their codes, and the codes: ((batch,), (batch, *grid_shape))."""
        quantization, terms = self._step(x, training=False)
        return terms["reconstruction"], quantization.codes

    def logits(self, codes):
        """Bernoulli logits of p(x|c) for integer code grids (batch, *grid_shape)."""
        return self.decoder(self.quantizer.vectors(tf.convert_to_tensor(codes, tf.int32)))

    def bernoulli_means(self, codes):
        """Bernoulli means of p(x|c) for integer code grids (batch, *grid_shape), as NumPy."""
        return tf.sigmoid(self.logits(codes)).numpy()

    def reconstruct(self, images):
        """Bernoulli means of p(x|c) at each image's codes."""
        return tf.sigmoid(self(tf.convert_to_tensor(images, tf.float32))).numpy()
