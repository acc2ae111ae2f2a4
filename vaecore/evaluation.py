"""Scoring a trained model on the test set: its tracked terms, bounds on log p(x), and clusters.

The protocol the chapters state: binary test images (one fixed seeded draw, or the 0.5
threshold), the model's ``test_step`` over every image, and log p(x) estimated from k importance
samples of q(z|x) per image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

import keras

from vaecore import checks, contracts, data, losses, runtime


def evaluate_terms(model: keras.Model, images, batch_size: int = 1000,
                   seed: int | None = None) -> dict[str, float]:
    """Every term ``model`` tracks in its ``test_step``, averaged over binary ``images``.

    For a VAE: ``elbo``, ``reconstruction``, ``kl``; a VQ-VAE adds its loss terms, ``perplexity`` and
    ``codes_used``. With a ``seed`` the step's draws of z are reproducible: the global seed is reset
    and the test step traced afresh, since a step compiled earlier (by ``fit``'s validation) keeps
    drawing from the seed generator it was traced with, which resetting the seed does not rewind.
    """
    batches = data.eval_dataset(images, batch_size)
    if seed is None:
        results = model.evaluate(batches, verbose=0, return_dict=True)
    else:
        keras.utils.set_random_seed(checks.integer_at_least("seed", seed, 0))
        model.test_function = None  # evaluate() compiles a new step on the new generator
        with runtime.quiet_retracing():
            results = model.evaluate(batches, verbose=0, return_dict=True)
    return {name: float(value) for name, value in results.items()}


def importance_weighted_log_likelihood(model: contracts.ImportanceSampled, x, k: int, chunk: int = 50,
                                       log_weights_of=None) -> tf.Tensor:
    """Per-image k-sample bound on log p(x) (Burda et al., 2015) for binary images ``x``.

    The model supplies ``log_importance_weights(x, n)`` (or ``log_weights_of``, the same function
    compiled); samples are drawn ``chunk`` at a time and combined with log-sum-exp, so memory stays
    bounded for large ``k``.
    """
    checks.integer_at_least("k", k, 1, "k = 1 gives the ELBO, larger k a tighter bound")
    checks.integer_at_least("chunk", chunk, 1)
    log_weights_of = log_weights_of or model.log_importance_weights
    x = tf.convert_to_tensor(x, tf.float32)
    log_weights = [log_weights_of(x, min(chunk, k - start)) for start in range(0, k, chunk)]
    return losses.importance_weighted_bound(tf.concat(log_weights, axis=0))


def evaluate_log_likelihood(model: contracts.ImportanceSampled, images, k: int, batch_size: int = 100,
                            chunk: int = 50) -> float:
    """Mean k-sample importance-weighted bound (nats per image) over binary ``images``. Each chunk of
    samples is computed in a graph: the decoder runs k times per image, so Python's overhead between
    ops is worth removing (one graph per chunk keeps tracing short for large k)."""
    data.check_images(images)
    checks.integer_at_least("k", k, 1, "k = 1 gives the ELBO, larger k a tighter bound")
    log_weights_of = tf.function(model.log_importance_weights, reduce_retracing=True)
    estimates = [importance_weighted_log_likelihood(model, images[start:start + batch_size], k, chunk,
                                                    log_weights_of).numpy()
                 for start in range(0, len(images), batch_size)]
    return float(np.mean(np.concatenate(estimates)))


class LatentUsage(NamedTuple):
    """How much each coordinate of a Gaussian code is used, over a set of images: arrays of (latent_dim,)."""

    kl: np.ndarray              # mean over images of KL(q(z_d|x) || N(0, 1)), nats
    mean_variance: np.ndarray   # variance over images of the posterior mean E_q[z_d | x]

    def active(self, threshold: float = 0.01) -> int:
        """Burda et al.'s (2015) active units: coordinates whose posterior mean varies by more than ``threshold``."""
        return int(np.sum(self.mean_variance > threshold))


def latent_usage(model: contracts.GaussianPosterior, images, batch_size: int = 1000) -> LatentUsage:
    """Per coordinate of ``model``'s code: its average KL to the prior, and how much its posterior mean
    moves from image to image. A coordinate whose mean does not move tells the decoder nothing about the
    image; with no KL either, its posterior is the prior for every image (posterior collapse)."""
    data.check_images(images)
    checks.integer_at_least("batch_size", batch_size, 1)
    means, kls = [], []
    for start in range(0, len(images), batch_size):
        mean, logvar = model.encode(images[start:start + batch_size])
        means.append(mean.numpy())
        # Each coordinate as its own one-dimensional Gaussian.
        kls.append(losses.kl_to_standard_normal(mean[..., None], logvar[..., None]).numpy())
    means, kls = np.concatenate(means), np.concatenate(kls)
    return LatentUsage(kl=kls.mean(axis=0), mean_variance=means.var(axis=0))


def enumerated_bounds(model: contracts.Enumerable, images, batch_size: int = 100) -> dict[str, float]:
    """The exact ELBO and the exact log p(x), nats per image, of a model whose codes can all be listed.

    The model supplies ``log_weights_of_every_code(x)``: log p(x, z) - log q(z|x) and log q(z|x)
    for every code z. Then ELBO = sum_z q(z|x) [log p(x, z) - log q(z|x)] and log p(x) =
    log sum_z p(x, z), with no sampling; their difference, ``posterior_kl``, is KL(q(z|x) || p(z|x)):
    how far the encoder is from the true posterior.
    """
    data.check_images(images)
    checks.integer_at_least("batch_size", batch_size, 1)

    @tf.function(reduce_retracing=True)  # one graph per batch shape, as a training step is
    def bounds(x):
        log_weights, log_q = model.log_weights_of_every_code(x)
        return tf.reduce_sum(tf.exp(log_q) * log_weights, axis=0), tf.reduce_logsumexp(log_weights + log_q, axis=0)

    elbos, log_likelihoods = [], []
    for batch in data.eval_dataset(images, batch_size):
        elbo, log_likelihood = bounds(data.image_batch(batch, binary=True))
        elbos.append(elbo.numpy())
        log_likelihoods.append(log_likelihood.numpy())
    elbo, log_likelihood = np.concatenate(elbos), np.concatenate(log_likelihoods)
    return {"elbo": float(elbo.mean()), "log_likelihood": float(log_likelihood.mean()),
            "posterior_kl": float((log_likelihood - elbo).mean())}


def code_prior_bound(model: contracts.DeterministicCode, images, log_prior, batch_size: int = 1000) -> dict[str, float]:
    """The ELBO of a model with a deterministic code (a VQ-VAE) under a prior over its codes, nats per image.

    With q(c|x) a point mass on the encoder's codes c(x), ELBO = log p(x|c(x)) + log p(c(x)): no
    entropy term. ``log_prior(codes)`` returns log p(c) per grid (e.g. ``vaecore.priors.log_prob``
    of a trained PixelCNN). Returns the mean ``reconstruction``, ``code_nll`` and ``elbo``.
    """
    data.check_images(images)
    reconstructions, code_log_probs = [], []
    for batch in data.eval_dataset(images, batch_size):
        reconstruction, codes = model.reconstruction_and_codes(data.image_batch(batch, binary=True))
        reconstructions.append(reconstruction.numpy())
        code_log_probs.append(np.asarray(log_prior(codes)))
    reconstruction, log_p_codes = np.concatenate(reconstructions), np.concatenate(code_log_probs)
    return {"reconstruction": float(reconstruction.mean()), "code_nll": float(-log_p_codes.mean()),
            "elbo": float((reconstruction + log_p_codes).mean())}


def cluster_agreement(clusters, labels) -> dict[str, float]:
    """How well integer ``clusters`` (e.g. codes) match class ``labels``: purity and normalised mutual information.

    Purity is the share of items whose cluster's most common label is their own; NMI is
    I(cluster; label) / sqrt(H(cluster) H(label)), 1 for a relabelling and 0 for independence.
    """
    clusters, labels = np.asarray(clusters).ravel(), np.asarray(labels).ravel()
    if clusters.shape != labels.shape or clusters.size == 0:
        raise ValueError(f"clusters and labels must be two non-empty arrays of one value per item, got sizes "
                         f"{clusters.size} and {labels.size}")
    _, cluster_index = np.unique(clusters, return_inverse=True)
    _, label_index = np.unique(labels, return_inverse=True)
    joint = np.zeros((cluster_index.max() + 1, label_index.max() + 1))
    np.add.at(joint, (cluster_index, label_index), 1.0)
    joint /= joint.sum()
    p_cluster, p_label = joint.sum(1), joint.sum(0)
    nonzero = joint > 0
    mutual = np.sum(joint[nonzero] * np.log(joint[nonzero] / np.outer(p_cluster, p_label)[nonzero]))
    entropy = lambda p: -np.sum(p[p > 0] * np.log(p[p > 0]))  # noqa: E731
    normaliser = np.sqrt(entropy(p_cluster) * entropy(p_label))
    return {"purity": float(joint.max(1).sum()), "nmi": float(mutual / normaliser) if normaliser > 0 else 0.0}
