"""Each formula in vaecore.losses against an independent computation."""

import numpy as np
import tensorflow as tf
from scipy import special, stats

from vaecore import losses

RNG = np.random.default_rng(1)


def test_bernoulli_log_likelihood_matches_scipy():
    logits = RNG.normal(scale=4.0, size=(3, 28, 28, 1)).astype(np.float32)
    x = (RNG.random(logits.shape) < 0.5).astype(np.float32)
    expected = stats.bernoulli.logpmf(x, special.expit(logits.astype(np.float64))).reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(losses.bernoulli_log_likelihood(x, logits), expected, rtol=1e-5)


def test_bernoulli_log_likelihood_is_finite_for_confident_logits():
    logits = np.full((1, 4), 200.0, np.float32)  # sigmoid(200) == 1.0 in float32
    value = losses.bernoulli_log_likelihood(np.zeros((1, 4), np.float32), logits)
    np.testing.assert_allclose(value, [-800.0], rtol=1e-6)  # log(1 - sigmoid(200)) = -200 per pixel


def test_bernoulli_entropy_matches_scipy_and_its_extremes():
    probs = RNG.random((3, 28, 28, 1)).astype(np.float32)
    probs[0, :2, 0, 0] = (0.0, 1.0)
    expected = stats.bernoulli.entropy(probs.astype(np.float64)).reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(losses.bernoulli_entropy(probs), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.bernoulli_entropy(np.full((1, 10), 0.5)), [10 * np.log(2.0)], rtol=1e-6)
    np.testing.assert_array_equal(losses.bernoulli_entropy(np.eye(4, dtype=np.float32)), np.zeros(4))


def test_gaussian_log_density_matches_scipy():
    z, mean = RNG.normal(size=(2, 5, 7))
    logvar = RNG.normal(size=(5, 7))
    expected = stats.norm.logpdf(z, loc=mean, scale=np.exp(0.5 * logvar)).sum(axis=-1)
    np.testing.assert_allclose(losses.gaussian_log_density(z, mean, logvar), expected, rtol=1e-10)


def test_gaussian_log_density_of_standard_normal_at_zero_by_hand():
    value = losses.gaussian_log_density(tf.zeros((1, 4), tf.float64), 0.0, 0.0)
    np.testing.assert_allclose(value, [-2.0 * np.log(2.0 * np.pi)])  # 4 * (-log(2 pi) / 2)


def test_analytic_kl_by_hand():
    # KL(N(1, 1) || N(0, 1)) = 1/2 per dimension; KL(N(0, e) || N(0, 1)) = (e - 2) / 2.
    mean = tf.constant([[1.0, 0.0]], tf.float64)
    logvar = tf.constant([[0.0, 1.0]], tf.float64)
    np.testing.assert_allclose(losses.kl_to_standard_normal(mean, logvar), [0.5 + (np.e - 2.0) / 2.0])


def test_analytic_kl_matches_monte_carlo_estimate():
    mean = RNG.normal(size=(1, 6))
    logvar = RNG.normal(scale=0.5, size=(1, 6))
    z = mean + np.exp(0.5 * logvar) * RNG.normal(size=(200_000, 6))
    estimates = losses.kl_monte_carlo(z, mean, logvar).numpy()
    standard_error = estimates.std() / np.sqrt(len(estimates))
    exact = losses.kl_to_standard_normal(mean, logvar).numpy()[0]
    assert abs(estimates.mean() - exact) < 4 * standard_error


def test_elbo_terms_add_up():
    terms = losses.elbo_terms(tf.constant([-80.0, -90.0]), tf.constant([20.0, 5.0]))
    np.testing.assert_allclose(terms.elbo, [-100.0, -95.0])


def test_kl_is_zero_at_the_prior_and_positive_elsewhere():
    assert float(losses.kl_to_standard_normal(tf.zeros((1, 3)), tf.zeros((1, 3)))[0]) == 0.0
    assert float(losses.kl_to_standard_normal(tf.fill((1, 3), 0.1), tf.zeros((1, 3)))[0]) > 0.0


def test_categorical_log_prob_by_hand():
    logits = tf.constant([[[0.0, np.log(3.0)], [0.0, 0.0]]])  # probs (1/4, 3/4) and (1/2, 1/2)
    one_hot = tf.constant([[[0.0, 1.0], [1.0, 0.0]]])
    np.testing.assert_allclose(losses.categorical_log_prob(logits, one_hot), [np.log(0.75) + np.log(0.5)], rtol=1e-6)


def test_categorical_kl_to_uniform_matches_scipy():
    logits = np.random.default_rng(0).normal(size=(4, 3, 10)).astype(np.float32)
    probs = special.softmax(logits.astype(np.float64), axis=-1)
    expected = stats.entropy(probs, np.full(10, 0.1), axis=-1).sum(axis=1)
    np.testing.assert_allclose(losses.kl_categorical_to_uniform(logits), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.kl_categorical_to_uniform(tf.zeros((1, 1, 10))), [0.0], atol=1e-6)
