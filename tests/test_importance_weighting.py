"""The importance-weighted estimate of log p(x), against hand values and numerical quadrature."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from vaecore import data, evaluation, losses, models, networks


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
    tf.random.set_seed(0)
    exact = log_likelihood_by_quadrature(one_dimensional_vae, images)
    estimate = evaluation.importance_weighted_log_likelihood(one_dimensional_vae, images, k=5000, chunk=500).numpy()
    np.testing.assert_allclose(estimate, exact, atol=0.15)


def test_bound_tightens_with_k_and_starts_at_the_elbo(one_dimensional_vae, images):
    tf.random.set_seed(1)
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
    tf.random.set_seed(2)
    exact = log_likelihood_by_quadrature(one_dimensional_vae, images).mean()
    np.testing.assert_allclose(evaluation.evaluate_log_likelihood(one_dimensional_vae, images, k=5000, batch_size=3),
                               exact, atol=0.15)
