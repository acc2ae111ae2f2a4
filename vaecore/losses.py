"""Log-densities, KL divergences and the evidence lower bound (ELBO).

Every function returns one value per example (summed over pixels or latent
dimensions, never averaged), in nats, so that numbers are comparable with the
literature's "nats per image".

For an image x, a Gaussian encoder q(z|x) and a Bernoulli decoder p(x|z),

    log p(x) >= ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)),

with the gap equal to KL(q(z|x) || p(z|x)).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import tensorflow as tf

from vaecore import checks

LOG_2PI = math.log(2.0 * math.pi)


def per_example_sum(values: tf.Tensor) -> tf.Tensor:
    """Sum over every axis but the first: one value per example, whatever the example's shape."""
    return tf.reduce_sum(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def bernoulli_log_likelihood(x: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """log p(x|z) for binary pixels ``x`` under Bernoulli(sigmoid(logits)),
    summed per image.

    Computed from logits with TensorFlow's stable sigmoid cross-entropy,
    never from probabilities (log(sigmoid) underflows for confident pixels).
    """
    cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=x, logits=logits
    )
    return -per_example_sum(cross_entropy)


def bernoulli_entropy(probs: tf.Tensor) -> tf.Tensor:
    """Entropy in nats of independent Bernoulli pixels with means ``probs``, summed per image.

    It measures how undecided an image of Bernoulli means is: 0 for pure black and white,
    log 2 for each pixel at 0.5.
    """
    probs = tf.convert_to_tensor(probs, tf.float32)
    per_pixel = -tf.math.xlogy(probs, probs) - tf.math.xlogy(1.0 - probs, 1.0 - probs)
    return per_example_sum(per_pixel)


def gaussian_log_density(z: tf.Tensor, mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """log N(z; mean, diag(exp(logvar))), summed over the last axis."""
    mean = tf.cast(mean, z.dtype) + tf.zeros_like(z)
    logvar = tf.cast(logvar, z.dtype) + tf.zeros_like(z)
    return -0.5 * tf.reduce_sum(LOG_2PI + logvar + tf.square(z - mean) * tf.exp(-logvar), axis=-1)


def kl_to_standard_normal(mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """KL(N(mean, diag(exp(logvar))) || N(0, I)) in closed form, summed over
    the last axis.
    """
    checks.same_shape("mean", mean, "logvar", logvar)
    kl = 0.5 * tf.reduce_sum(
        tf.exp(logvar) + tf.square(mean) - 1.0 - logvar, axis=-1
    )
    # A KL is never negative; float32 can say -1e-30 when it is 0 (exp(tiny)
    # rounds to 1).
    return tf.maximum(kl, 0.0)


def kl_monte_carlo(z: tf.Tensor, mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """One-sample estimate log q(z|x) - log p(z) of the same KL, for z drawn from q.

    Unbiased but noisy; it is what TensorFlow's CVAE tutorial (and the Hatena article) use.
    """
    return gaussian_log_density(z, mean, logvar) - gaussian_log_density(z, 0.0, 0.0)


class ElboTerms(NamedTuple):
    """Per-example ELBO and its two parts: ``elbo = reconstruction - kl``."""

    elbo: tf.Tensor
    reconstruction: tf.Tensor
    kl: tf.Tensor


def elbo_terms(reconstruction: tf.Tensor, kl: tf.Tensor) -> ElboTerms:
    return ElboTerms(reconstruction - kl, reconstruction, kl)


def exp_concrete_log_density(
    log_sample: tf.Tensor, logits: tf.Tensor, temperature
) -> tf.Tensor:
    """log density of ``log_sample`` (..., K), the log of a relaxed one-hot
    vector, under ExpConcrete(logits, temperature) (Maddison et al., 2017,
    appendix): one value per variable (...).

    With s_k = logits_k - temperature * log_sample_k, it is
    log (K-1)! + (K-1) log temperature + sum_k s_k - K logsumexp_k s_k.
    The density of the relaxed vector itself (Concrete) is this minus
    sum_k log_sample_k, a term that cancels in a KL.
    """
    log_sample = tf.convert_to_tensor(log_sample)
    num_classes = log_sample.shape[-1]
    if num_classes is None or num_classes < 2:
        raise ValueError(
            f"log_sample has shape {tuple(log_sample.shape)}: a relaxed "
            "one-hot vector needs at least 2 classes on the last axis"
        )
    temperature = tf.cast(temperature, log_sample.dtype)
    scaled = logits - temperature * log_sample
    return (
        math.lgamma(num_classes)
        + (num_classes - 1) * tf.math.log(temperature)
        + tf.reduce_sum(scaled, -1)
        - num_classes * tf.reduce_logsumexp(scaled, -1)
    )


def concrete_kl_at_sample(log_sample: tf.Tensor, logits: tf.Tensor, temperature, prior_temperature) -> tf.Tensor:
    """log q(y) - log p(y) at one relaxed draw y = exp(log_sample) of q = Concrete(logits, temperature), with
    p = Concrete(uniform, prior_temperature), summed over all variables: one value per example.

    Its mean over draws of q is KL(q || p), the KL term of Maddison et al.'s relaxed ELBO; it has no
    closed form, so the ELBO estimates it at the same sample as the reconstruction.
    """
    log_q = exp_concrete_log_density(log_sample, logits, temperature)
    log_p = exp_concrete_log_density(log_sample, tf.zeros_like(logits), prior_temperature)
    return per_example_sum(log_q - log_p)


def kl_categorical_to_uniform(logits: tf.Tensor) -> tf.Tensor:
    """KL(Cat(softmax(logits)) || uniform over K classes) = sum_k q_k log
    q_k + log K.

    ``logits`` has shape (batch, ..., K): one categorical per position; the
    KLs are summed over all positions, giving one value per example.
    """
    logits = tf.convert_to_tensor(logits)
    if logits.shape[-1] is not None and logits.shape[-1] < 2:
        raise ValueError(
            f"logits have shape {tuple(logits.shape)}: a categorical "
            "needs at least 2 classes on the last axis"
        )
    log_q = tf.nn.log_softmax(logits)
    num_classes = tf.cast(tf.shape(logits)[-1], logits.dtype)
    kl = tf.reduce_sum(tf.exp(log_q) * log_q, axis=-1) + tf.math.log(
        num_classes
    )
    return per_example_sum(kl)


def categorical_log_prob(logits: tf.Tensor, one_hot: tf.Tensor) -> tf.Tensor:
    """log q(z) of one-hot codes under softmax(logits), summed over all but the batch axis."""
    log_q = tf.reduce_sum(one_hot * tf.nn.log_softmax(logits), axis=-1)
    return per_example_sum(log_q)


def importance_weighted_bound(log_weights: tf.Tensor) -> tf.Tensor:
    """log (1/k) sum_i exp(log_weights[i]) over axis 0, computed stably with log-sum-exp.

    With log_weights[i] = log p(x, z_i) - log q(z_i|x) for k samples z_i ~ q(z|x), this is the
    importance-weighted bound of Burda et al. (2015): a lower bound on log p(x) in expectation
    that equals the ELBO for k = 1 and tightens monotonically towards log p(x) as k grows.
    """
    log_weights = tf.convert_to_tensor(log_weights)
    if log_weights.shape[0] == 0:
        raise ValueError("log_weights holds no samples (axis 0 has size 0); pass k >= 1 weights per image")
    k = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
    return tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(k)
