"""vaecore.latents: the reparameterization trick, Gumbel noise, Gumbel-Max, Gumbel-Softmax, straight-through
and ReinMax, checked against exact distributions and hand-computed values."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from vaecore import latents


def test_reparameterized_sample_has_the_requested_mean_and_variance():
    keras.utils.set_random_seed(0)
    mean = tf.constant([[-2.0, 0.0, 3.0]])
    logvar = tf.constant([[0.0, np.log(4.0), np.log(0.25)]], tf.float32)
    z = latents.reparameterize(tf.repeat(mean, 100_000, axis=0), tf.repeat(logvar, 100_000, axis=0)).numpy()
    np.testing.assert_allclose(z.mean(axis=0), mean[0], atol=0.02)
    np.testing.assert_allclose(z.var(axis=0), [1.0, 4.0, 0.25], rtol=0.02)


def test_gradients_flow_to_mean_and_logvar():
    mean = tf.Variable([[0.5, -1.0]])
    logvar = tf.Variable([[0.2, -0.4]])
    with tf.GradientTape() as tape:
        z = latents.reparameterize(mean, logvar)
        total = tf.reduce_sum(z)
    d_mean, d_logvar = tape.gradient(total, [mean, logvar])
    eps = (z - mean) / tf.exp(0.5 * logvar)  # the noise that was drawn
    np.testing.assert_allclose(d_mean, [[1.0, 1.0]])
    np.testing.assert_allclose(d_logvar, 0.5 * tf.exp(0.5 * logvar) * eps, rtol=1e-5)


def test_works_with_an_unknown_batch_size_inside_tf_function():
    sample = tf.function(latents.reparameterize, input_signature=[tf.TensorSpec([None, 4])] * 2)
    assert sample(tf.zeros((7, 4)), tf.zeros((7, 4))).shape == (7, 4)


LOGITS = np.array([1.2, 2.3, 1.4, 3.3, 0.1], np.float32)


def test_gumbel_noise_is_finite_at_the_ends_of_the_unit_interval():
    g = latents.gumbel_from_uniform(tf.constant([0.0, 1.0, 0.5], tf.float32)).numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[2], -np.log(np.log(2.0)), rtol=1e-6)


def test_gumbel_noise_follows_the_standard_gumbel_distribution():
    g = latents.sample_gumbel([200_000], seed=(0, 1)).numpy()
    assert stats.kstest(g, stats.gumbel_r.cdf).pvalue > 0.01
    np.testing.assert_allclose(g.mean(), np.euler_gamma, atol=0.01)


def test_gumbel_max_samples_follow_the_softmax():
    draws = latents.gumbel_max_sample(LOGITS, num_samples=500_000, seed=(3, 4)).numpy()
    counts = np.bincount(draws, minlength=len(LOGITS))
    expected = special.softmax(LOGITS.astype(np.float64)) * len(draws)
    assert stats.chisquare(counts, expected).pvalue > 0.01
    # One draw per row when no number of samples is given.
    assert latents.gumbel_max_sample(tf.zeros((7, 3, 5))).shape == (7, 3)


def test_gumbel_max_ignores_a_constant_shift_of_the_logits():
    # log-probabilities and raw logits differ by a constant per row: same samples with the same noise.
    log_probs = LOGITS - special.logsumexp(LOGITS)
    a = latents.gumbel_max_sample(LOGITS, num_samples=1000, seed=(5, 6))
    b = latents.gumbel_max_sample(log_probs, num_samples=1000, seed=(5, 6))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("temperature", [0.1, 1.0, 10.0])
def test_gumbel_softmax_lies_on_the_simplex(temperature):
    y = latents.gumbel_softmax(tf.tile(LOGITS[None], [1000, 1]), temperature, seed=(1, 1)).numpy()
    assert np.all(y >= 0.0)
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-5)


def test_gumbel_softmax_approaches_one_hot_as_the_temperature_falls():
    logits = tf.tile(LOGITS[None], [2000, 1])
    cold = latents.gumbel_softmax(logits, 0.05, seed=(2, 2)).numpy().max(axis=-1).mean()
    hot = latents.gumbel_softmax(logits, 20.0, seed=(2, 2)).numpy().max(axis=-1).mean()
    assert cold > 0.97 and hot < 0.3


def test_gumbel_softmax_argmax_is_the_gumbel_max_sample():
    logits = tf.tile(LOGITS[None], [1000, 1])
    relaxed = latents.gumbel_softmax(logits, 3.0, seed=(8, 9))
    np.testing.assert_array_equal(np.argmax(relaxed, -1), latents.gumbel_max_sample(logits, seed=(8, 9)))


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_non_positive_temperature_is_refused(temperature):
    with pytest.raises(ValueError, match=r"temperature must lie in \(0, inf\), got"):
        latents.gumbel_softmax(LOGITS, temperature)


def test_tensor_temperature_is_checked_in_the_graph():
    with pytest.raises(tf.errors.InvalidArgumentError, match="temperature must be positive"):
        latents.gumbel_softmax(LOGITS, tf.constant(0.0))


def test_hard_gumbel_softmax_is_exactly_one_hot_forward_and_relaxed_backward():
    logits = tf.Variable(tf.random.stateless_normal((2000, 10), seed=(1, 2)) * 3.0)
    with tf.GradientTape(persistent=True) as tape:
        hard = latents.gumbel_softmax(logits, 0.7, hard=True, seed=(4, 2))
        soft = latents.gumbel_softmax(logits, 0.7, hard=False, seed=(4, 2))
        weights = tf.range(10, dtype=tf.float32)
        hard_value, soft_value = tf.reduce_sum(hard * weights), tf.reduce_sum(soft * weights)
    # Bit for bit: every entry is exactly 0.0 or 1.0, and each row holds one 1.0.
    assert np.all((hard.numpy() == 0.0) | (hard.numpy() == 1.0))
    assert np.all(hard.numpy().sum(axis=-1) == 1.0)
    np.testing.assert_array_equal(tape.gradient(hard_value, logits), tape.gradient(soft_value, logits))


def test_the_usual_straight_through_formula_is_not_exact_and_ours_is():
    # forward + soft - sg(soft) rounds in float32; forward + (soft - sg(soft)) does not.
    soft = tf.nn.softmax(tf.random.stateless_normal((5000, 10), seed=(0, 7)))
    hard = latents.one_hot_argmax(soft)
    naive = hard + soft - tf.stop_gradient(soft)
    assert np.any(naive.numpy() != hard.numpy())
    np.testing.assert_array_equal(latents.straight_through(hard, soft), hard)


def test_straight_through_has_forward_value_and_backward_gradient():
    x = tf.Variable([0.2, 0.7])
    with tf.GradientTape() as tape:
        y = latents.straight_through(tf.constant([0.0, 1.0]), 3.0 * x)
        total = tf.reduce_sum(y * tf.constant([1.0, 2.0]))
    np.testing.assert_array_equal(y, [0.0, 1.0])
    np.testing.assert_allclose(tape.gradient(total, x), [3.0, 6.0])


def softmax_jacobian(p):
    return np.diag(p) - np.outer(p, p)


def test_straight_through_sample_backpropagates_the_softmax_jacobian():
    logits = tf.Variable([[0.5, -1.0, 2.0]])
    g = np.array([1.0, -2.0, 0.5])
    with tf.GradientTape() as tape:
        code = latents.straight_through_sample(logits)
        value = tf.reduce_sum(code * g)
    assert sorted(code.numpy().ravel().tolist()) == [0.0, 0.0, 1.0]
    p = special.softmax([0.5, -1.0, 2.0])
    np.testing.assert_allclose(tape.gradient(value, logits)[0], softmax_jacobian(p) @ g, rtol=1e-5)


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_reinmax_backward_pass_by_hand(temperature):
    # Liu et al. (2023), algorithm 2: with pi0 = softmax(l), D the one-hot sample and
    # pi1 = (softmax(l / t) + D) / 2, the gradient is 2 J(pi1) g - J(pi0) g / 2.
    l = np.array([0.5, -1.0, 2.0])
    g = np.array([1.0, -2.0, 0.5])
    logits = tf.Variable([l], dtype=tf.float32)
    keras.utils.set_random_seed(3)
    with tf.GradientTape() as tape:
        code = latents.reinmax_sample(logits, temperature)
        value = tf.reduce_sum(code * g)
    d = code.numpy()[0]
    assert sorted(d.tolist()) == [0.0, 0.0, 1.0]
    pi0, pi1 = special.softmax(l), 0.5 * (special.softmax(l / temperature) + d)
    expected = 2.0 * softmax_jacobian(pi1) @ g - 0.5 * softmax_jacobian(pi0) @ g
    np.testing.assert_allclose(tape.gradient(value, logits)[0], expected, rtol=1e-5, atol=1e-6)


def test_reinmax_refuses_temperatures_below_one():
    with pytest.raises(ValueError, match=r"temperature must lie in \[1, inf\), got 0.5"):
        latents.reinmax_sample(LOGITS, 0.5)


def test_categorical_sample_is_one_hot_with_softmax_frequencies_and_no_gradient():
    keras.utils.set_random_seed(0)
    logits = tf.Variable(tf.tile(LOGITS[None, None], [100_000, 2, 1]))
    with tf.GradientTape() as tape:
        z = latents.categorical_sample(logits)
        total = tf.reduce_sum(z)
    assert tape.gradient(total, logits) is None
    np.testing.assert_array_equal(z.numpy().sum(-1), 1.0)
    counts = z.numpy()[:, 0].sum(0)
    assert stats.chisquare(counts, special.softmax(LOGITS.astype(np.float64)) * 100_000).pvalue > 0.01
