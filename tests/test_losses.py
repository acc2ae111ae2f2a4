"""Each formula in vaecore.losses against an independent computation."""

import math

import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate, special, stats

from vaecore import latents, losses

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


def concrete_density(y, logits, temperature):
    """Maddison et al.'s Concrete density of a point y of the simplex (first K - 1 coordinates), in NumPy."""
    k = len(y)
    alpha = np.exp(np.asarray(logits, np.float64))
    return (math.factorial(k - 1) * temperature ** (k - 1) * np.prod(alpha * y ** (-temperature - 1))
            / np.sum(alpha * y ** -temperature) ** k)


def density_from_vaecore(y, logits, temperature):
    """Concrete density from vaecore's ExpConcrete log-density: minus the log-Jacobian sum_k log y_k."""
    log_y = np.log(np.asarray(y, np.float64))
    return np.exp(losses.exp_concrete_log_density(log_y, np.asarray(logits, np.float64), temperature).numpy()
                  - log_y.sum())


@pytest.mark.parametrize("logits, temperature", [([0.3, -1.2], 0.5), ([1.0, 0.0], 2.0)])
def test_the_two_class_concrete_density_integrates_to_one_and_matches_the_paper(logits, temperature):
    def on_the_line(y1):
        return density_from_vaecore(np.array([y1, 1.0 - y1]), logits, temperature)
    assert integrate.quad(on_the_line, 0.0, 1.0)[0] == pytest.approx(1.0, abs=1e-6)
    y = np.array([0.3, 0.7])
    assert on_the_line(0.3) == pytest.approx(concrete_density(y, logits, temperature), rel=1e-9)


def test_the_three_class_concrete_density_integrates_to_one_and_vaecore_matches_it():
    logits, temperature = [0.5, -0.5, 1.5], 0.7
    total, _ = integrate.dblquad(
        lambda y2, y1: concrete_density(np.array([y1, y2, 1.0 - y1 - y2]), logits, temperature),
        0.0, 1.0, 0.0, lambda y1: 1.0 - y1, epsabs=1e-7)
    assert total == pytest.approx(1.0, abs=1e-4)
    points = RNG.dirichlet(np.ones(3), size=50)
    log_density = losses.exp_concrete_log_density(np.log(points), np.tile(logits, (50, 1)), temperature).numpy()
    expected = [concrete_density(y, logits, temperature) for y in points]
    # rtol: a Python temperature becomes a float32 tensor before it is cast to float64
    np.testing.assert_allclose(np.exp(log_density - np.log(points).sum(axis=1)), expected, rtol=1e-6)


def test_relaxed_samples_follow_the_concrete_distribution():
    logits, temperature = np.array([0.8, -0.4], np.float32), 0.6
    draws = np.exp(latents.log_gumbel_softmax(np.tile(logits, (20_000, 1)), temperature, seed=(4, 2)).numpy())
    # With two classes, y_1 = sigmoid((l_1 - l_2 + L) / temperature) for logistic noise L = g_1 - g_2, so
    # P(y_1 <= t) = sigmoid(temperature * logit(t) - (l_1 - l_2)).
    def cdf(t):
        return special.expit(temperature * special.logit(t) - (logits[0] - logits[1]))
    assert stats.kstest(draws[:, 0].astype(np.float64), cdf).pvalue > 1e-3
    # Its exp is gumbel_softmax's sample, draw for draw.
    relaxed = latents.gumbel_softmax(np.tile(logits, (5, 1)), temperature, seed=(4, 2)).numpy()
    np.testing.assert_allclose(np.exp(latents.log_gumbel_softmax(np.tile(logits, (5, 1)), temperature, seed=(4, 2))),
                               relaxed, rtol=1e-5)


def test_the_concrete_kl_at_a_sample_averages_to_the_kl():
    logits, temperature, prior_temperature = np.array([[[1.2, -0.3]]], np.float32), 0.8, 0.5
    log_y = latents.log_gumbel_softmax(np.tile(logits, (40_000, 1, 1)), temperature, seed=(1, 9))
    estimates = losses.concrete_kl_at_sample(log_y, np.tile(logits, (40_000, 1, 1)), temperature,
                                             prior_temperature).numpy()

    def integrand(y1):
        y = np.array([y1, 1.0 - y1])
        q = concrete_density(y, logits[0, 0], temperature)
        return q * np.log(q / concrete_density(y, [0.0, 0.0], prior_temperature)) if q > 0 else 0.0
    exact = integrate.quad(integrand, 0.0, 1.0, limit=200)[0]
    assert abs(estimates.mean() - exact) < 4 * estimates.std() / np.sqrt(len(estimates))
    # Between a distribution and itself the estimate is 0 at every sample.
    same = losses.concrete_kl_at_sample(log_y[:10], tf.zeros((10, 1, 2)), 0.5, 0.5)
    np.testing.assert_allclose(same, 0.0, atol=1e-5)


def test_the_concrete_kl_is_at_least_the_categorical_kl():
    # The class of a relaxed draw (its argmax) is a function of the draw: by the data-processing inequality
    # the KL between the relaxed distributions is at least the KL between the categoricals they round to,
    # whatever the two temperatures. So Jang et al.'s hybrid (categorical KL) sits above the relaxed ELBO.
    logits = tf.constant(RNG.normal(scale=2.0, size=(1, 3, 5)), tf.float32)
    many = tf.tile(logits, (20_000, 1, 1))
    categorical = losses.kl_categorical_to_uniform(logits).numpy()[0]
    for temperature, prior_temperature in [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5)]:
        log_y = latents.log_gumbel_softmax(many, temperature, seed=(3, 3))
        estimates = losses.concrete_kl_at_sample(log_y, many, temperature, prior_temperature).numpy()
        assert estimates.mean() - categorical > 4 * estimates.std() / np.sqrt(len(estimates))


def test_with_equal_temperatures_the_concrete_kl_at_a_draw_does_not_depend_on_the_temperature():
    # log q - log p = sum_k l_k + K (logsumexp(-l - g) - logsumexp(-g)) for the Gumbel noise g: no temperature,
    # and about sum_k (l_k - min l) for logits far apart, so it grows without bound where the categorical
    # KL stops at log K.
    logits = tf.constant(RNG.normal(scale=3.0, size=(200, 4, 6)), tf.float32)

    def kl_at(scale, temperature):
        log_y = latents.log_gumbel_softmax(logits * scale, temperature, seed=(7, 7))
        return losses.concrete_kl_at_sample(log_y, logits * scale, temperature, temperature).numpy()
    np.testing.assert_allclose(kl_at(1.0, 1.0), kl_at(1.0, 0.3), rtol=1e-4)
    np.testing.assert_allclose(kl_at(1.0, 1.0), kl_at(1.0, 2.5), rtol=1e-4)
    large, larger = kl_at(10.0, 0.5), kl_at(100.0, 0.5)
    assert np.all(larger > 8 * large)  # about proportional to the logits' spread
    assert np.all(large > 20 * 4 * np.log(6))  # the categorical KL of 4 variables stays below 4 log 6
    assert np.all(losses.kl_categorical_to_uniform(logits * 100).numpy() <= 4 * np.log(6) + 1e-4)
