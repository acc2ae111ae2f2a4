"""vaecore.evaluation: the importance-weighted estimate of log p(x) against hand values and quadrature, exact
bounds against codes decoded one by one, and cluster agreement by hand."""

import itertools
import logging
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from vaecore import data, estimators, evaluation, losses, models, networks


def test_bound_by_hand_and_stable_for_large_log_weights():
    np.testing.assert_allclose(losses.importance_weighted_bound(tf.math.log([[1.0], [3.0]])), [np.log(2.0)])
    # exp(-1000) underflows to 0 in float32; log-sum-exp must not.
    np.testing.assert_allclose(losses.importance_weighted_bound(tf.constant([[-1000.0], [-1000.0]])), [-1000.0])


@pytest.fixture(scope="module")
def one_dimensional_vae():
    """A 1-d VAE whose decoder depends strongly on z and whose q(z|x) = N(0.5, 1) ignores x:
    a proposal wide enough for importance sampling to converge, poor enough for a visible gap."""
    keras.utils.set_random_seed(3)
    vae = models.GaussianVAE(networks.dense_encoder(1, (16,)), networks.dense_decoder(1, (16,)))
    for layer in vae.decoder.layers:
        if layer.weights:
            layer.kernel.assign(layer.kernel * 4.0)
    for name, bias in (("mean", 0.5), ("logvar", 0.0)):
        head = vae.encoder.get_layer(name)
        head.kernel.assign(np.zeros(head.kernel.shape, np.float32))
        head.bias.assign([bias])
    return vae


@pytest.fixture(scope="module")
def images():
    images = data.binarize_fixed(np.random.default_rng(7).random((4, 28, 28, 1), dtype=np.float32), seed=0)
    assert len({image.tobytes() for image in images}) == 4  # four different images
    return images


def log_likelihood_by_quadrature(vae, x):
    """log p(x) = log of the integral of p(x|z) N(z; 0, 1) dz, on a fine grid of z."""
    grid = np.linspace(-10.0, 10.0, 4001, dtype=np.float32)[:, None]
    logits = vae.decoder(grid)
    log_joint = np.stack([losses.bernoulli_log_likelihood(np.repeat(image[None], len(grid), 0), logits)
                          for image in x]) + losses.gaussian_log_density(grid, 0.0, 0.0).numpy()
    return tf.reduce_logsumexp(log_joint, axis=1).numpy() + np.log(grid[1, 0] - grid[0, 0])


def test_estimate_converges_to_the_exact_log_likelihood(one_dimensional_vae, images):
    keras.utils.set_random_seed(0)
    exact = log_likelihood_by_quadrature(one_dimensional_vae, images)
    estimate = evaluation.importance_weighted_log_likelihood(one_dimensional_vae, images, k=5000, chunk=500).numpy()
    np.testing.assert_allclose(estimate, exact, atol=0.15)


def test_bound_tightens_with_k_and_starts_at_the_elbo(one_dimensional_vae, images):
    keras.utils.set_random_seed(1)
    many = np.repeat(images, 500, axis=0)
    samples = {k: evaluation.importance_weighted_log_likelihood(one_dimensional_vae, many, k=k).numpy() for k in (1, 5, 50)}
    elbo = one_dimensional_vae.elbo_terms(many, "monte_carlo").elbo.numpy()
    # k = 1 is the single-sample ELBO: equal means, up to Monte Carlo error.
    standard_error = np.sqrt(samples[1].var() / len(many) + elbo.var() / len(many))
    assert abs(samples[1].mean() - elbo.mean()) < 4 * standard_error
    exact = log_likelihood_by_quadrature(one_dimensional_vae, images).mean()
    bounds = {k: values.mean() for k, values in samples.items()}
    assert bounds[1] + 10 < bounds[5] < bounds[50] <= exact + 0.1


def test_k_below_one_is_refused(one_dimensional_vae, images):
    with pytest.raises(ValueError, match="k must be an integer of at least 1, got 0"):
        evaluation.importance_weighted_log_likelihood(one_dimensional_vae, images, k=0)


def test_evaluation_averages_the_per_image_estimates(one_dimensional_vae, images):
    keras.utils.set_random_seed(2)
    exact = log_likelihood_by_quadrature(one_dimensional_vae, images).mean()
    np.testing.assert_allclose(evaluation.evaluate_log_likelihood(one_dimensional_vae, images, k=5000, batch_size=3),
                               exact, atol=0.15)


def test_enumerated_bounds_against_every_code_decoded_one_by_one():
    # Two latents of 3 classes: 9 codes, each decoded on its own; q, p(x|z) and the sums redone in NumPy.
    keras.utils.set_random_seed(7)
    vae = models.CategoricalVAE(networks.dense_logits_encoder(2, 3, (8,)), networks.dense_decoder(6, (8,)),
                                estimator=estimators.Exact())
    x = data.binarize_fixed(np.random.default_rng(2).random((5, 28, 28, 1), dtype=np.float32), seed=0)
    q = special.softmax(vae.encoder(x).numpy().astype(np.float64), axis=-1)
    pixels = x.reshape(5, -1).astype(np.float64)
    log_joint, log_q = [], []
    for a, b in itertools.product(range(3), repeat=2):
        code = np.zeros((5, 2, 3), np.float32)
        code[:, 0, a] = code[:, 1, b] = 1.0
        p = special.expit(vae.logits(code).numpy().reshape(5, -1).astype(np.float64))
        log_joint.append(np.sum(pixels * np.log(p) + (1 - pixels) * np.log1p(-p), axis=1) - 2 * np.log(3))
        log_q.append(np.log(q[:, 0, a] * q[:, 1, b]))
    log_joint, log_q = np.array(log_joint), np.array(log_q)
    elbo = np.sum(np.exp(log_q) * (log_joint - log_q), axis=0)
    log_likelihood = special.logsumexp(log_joint, axis=0)
    result = evaluation.enumerated_bounds(vae, x, batch_size=2)
    np.testing.assert_allclose(result["elbo"], elbo.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["log_likelihood"], log_likelihood.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["posterior_kl"], (log_likelihood - elbo).mean(), rtol=1e-3, atol=1e-4)
    assert result["posterior_kl"] > 0


def test_cluster_agreement_by_hand_and_against_entropies():
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert evaluation.cluster_agreement([5, 5, 7, 7, 1, 1], labels) == {"purity": 1.0, "nmi": pytest.approx(1.0)}
    # Clusters {0,0,1} {1,2,2}: each cluster's majority covers 2 of 3 items.
    agreement = evaluation.cluster_agreement([0, 0, 0, 1, 1, 1], labels)
    assert agreement["purity"] == pytest.approx(4 / 6)
    clusters = np.random.default_rng(0).integers(0, 4, 500)
    labels = (clusters + np.random.default_rng(1).integers(0, 2, 500)) % 5
    joint = np.histogram2d(clusters, labels, bins=(4, 5))[0].ravel()
    mutual = stats.entropy(np.bincount(clusters)) + stats.entropy(np.bincount(labels)) - stats.entropy(joint)
    expected = mutual / math.sqrt(stats.entropy(np.bincount(clusters)) * stats.entropy(np.bincount(labels)))
    assert evaluation.cluster_agreement(clusters, labels)["nmi"] == pytest.approx(expected, rel=1e-9)
    assert evaluation.cluster_agreement(np.zeros(6), labels[:6])["nmi"] == 0.0


class FixedPosterior:
    """q(z|x) with three coordinates: the first moves with the image's ink, the second is N(1, e^-1) for
    every image, the third is the prior for every image (a collapsed coordinate)."""

    def encode(self, images):
        ink = tf.reduce_mean(tf.reshape(images, [len(images), -1]), axis=1)
        zeros = tf.zeros_like(ink)
        mean = tf.stack([4.0 * ink, zeros + 1.0, zeros], axis=1)
        return mean, tf.stack([zeros, zeros - 1.0, zeros], axis=1)


def test_latent_usage_by_hand():
    grey = np.random.default_rng(1).random((50, 28, 28, 1), dtype=np.float32)
    images = data.binarize_fixed(grey * np.linspace(0, 1, 50, dtype=np.float32)[:, None, None, None], seed=0)
    usage = evaluation.latent_usage(FixedPosterior(), images, batch_size=16)
    ink = images.reshape(50, -1).mean(axis=1)
    # KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2 per coordinate.
    np.testing.assert_allclose(usage.kl, [np.mean(8.0 * ink**2), (math.exp(-1) + 1 - 1 + 1) / 2, 0.0], rtol=1e-5)
    np.testing.assert_allclose(usage.mean_variance, [np.var(4.0 * ink), 0.0, 0.0], rtol=1e-4, atol=1e-12)
    # The second coordinate costs KL yet says nothing about the image: active units count only the first.
    assert usage.active() == 1 and usage.active(threshold=1.0) == 0


def small_compiled_vae_and_images():
    """A 2-d Gaussian VAE, compiled, and 64 binary images: enough to compile and run a test step."""
    keras.utils.set_random_seed(0)
    vae = models.GaussianVAE(networks.dense_encoder(2, (16,)), networks.dense_decoder(2, (16,)))
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    test = data.binarize_fixed(np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32), seed=0)
    return vae, test


def test_a_seeded_evaluation_repeats_its_draws_after_fit_compiled_the_test_step():
    vae, test = small_compiled_vae_and_images()
    vae.fit(test, epochs=1, batch_size=32, validation_data=test, verbose=0)  # compiles the test step
    first = evaluation.evaluate_terms(vae, test, seed=0)["elbo"]
    keras.utils.set_random_seed(0)  # what a chapter did before: the compiled step keeps drawing on
    assert evaluation.evaluate_terms(vae, test)["elbo"] != first
    assert evaluation.evaluate_terms(vae, test, seed=0)["elbo"] == first
    assert evaluation.evaluate_terms(vae, test, seed=1)["elbo"] != first


def test_seeded_evaluations_retrace_quietly():
    """Each seeded evaluation traces a new test step on purpose; TensorFlow's warning about frequent
    retracing would print a long line into every chapter that scores several models."""
    vae, test = small_compiled_vae_and_images()
    records, level = [], tf.get_logger().level
    handler = logging.Handler()
    handler.emit = records.append
    tf.get_logger().addHandler(handler)
    try:
        for seed in range(8):
            evaluation.evaluate_terms(vae, test, seed=seed)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [r for r in records if "retracing" in r.getMessage()]
    assert tf.get_logger().level == level  # put back
