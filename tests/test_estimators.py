"""Gradient estimators against gradients known exactly: by hand, and by enumerating every code."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from vaecore import estimators, gradients, latents, losses

LOGITS = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.0, 0.3, -0.2]], np.float32)  # three latents of three classes
A, B, C = (np.array(w, np.float32) for w in ([1.0, -2.0, 0.5], [0.3, 1.0, -1.5], [2.0, -1.0, 0.0]))


def forms(code):
    return [tf.reduce_sum(code[:, i] * w, axis=-1) for i, w in enumerate((A, B, C))]


def linear_reward(code):
    """f(z) = <A, z_1> + <B, z_2> + <C, z_3>: E_q[f] is linear in the probabilities."""
    return tf.add_n(forms(code))


def product_reward(code):
    """f(z) = 20 + 3 <A, z_1> <B, z_2> <C, z_3> + 2 sin(2 <A, z_1>) + <B, z_2>^2.

    On one-hot codes every function is multilinear, but the sine and the square are not multilinear
    in z itself: their gradient at a one-hot code is not the gradient of the expectation, which is
    what biases the pathwise estimators. The offset of 20 plays the part of a log-likelihood's
    large mean, which a baseline removes.
    """
    a, b, c = forms(code)
    return 20.0 + 3.0 * a * b * c + 2.0 * tf.sin(2.0 * a) + b * b


def jacobian_times(p, g):
    return (np.diag(p) - np.outer(p, p)) @ g


def many_rows(n):
    return np.repeat(LOGITS[None], n, axis=0)


UNBIASED = {
    "score function, no baseline": lambda: estimators.ScoreFunction(),
    "score function, leave-one-out": lambda: estimators.LeaveOneOut(4),
}


@pytest.mark.parametrize("name", list(UNBIASED))
def test_score_function_estimators_are_unbiased(name):
    keras.utils.set_random_seed(0)
    n = 40_000
    exact, _ = gradients.exact_gradient(LOGITS[None], product_reward)
    draws = gradients.estimates(UNBIASED[name](), many_rows(n), product_reward, num_draws=1)[0]
    standard_error = draws.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(draws.mean(axis=0) - exact[0]) < 4.5 * standard_error + 1e-4)


def test_a_baseline_reduces_the_variance_without_bias():
    keras.utils.set_random_seed(1)
    n = 20_000
    plain = gradients.estimates(estimators.ScoreFunction(), many_rows(n), product_reward, 1)[0]
    with_baseline = estimators.ScoreFunction()
    with_baseline.baseline.assign(gradients.exact_gradient(LOGITS[None], product_reward)[1][0])
    fitted = gradients.estimates(with_baseline, many_rows(n), product_reward, 1)[0]
    assert fitted.var(axis=0).sum() < 0.5 * plain.var(axis=0).sum()


def test_straight_through_is_exact_for_a_linear_reward_and_biased_otherwise():
    # For f linear in z, d/dlogits of <w, softmax(logits)> is what straight-through returns, every draw.
    keras.utils.set_random_seed(2)
    exact, _ = gradients.exact_gradient(LOGITS[None], linear_reward)
    draws = gradients.estimates(estimators.StraightThrough(), many_rows(50), linear_reward, 1)[0]
    np.testing.assert_allclose(draws, np.repeat(exact, 50, axis=0), rtol=1e-5, atol=1e-6)
    exact, _ = gradients.exact_gradient(LOGITS[None], product_reward)
    draws = gradients.estimates(estimators.StraightThrough(), many_rows(40_000), product_reward, 1)[0]
    standard_error = draws.std(axis=0) / np.sqrt(len(draws))
    assert np.max(np.abs(draws.mean(axis=0) - exact[0]) / (standard_error + 1e-6)) > 10


REGISTERED = sorted(estimators.REGISTRY)  # every estimator, as each module registers it


@pytest.mark.parametrize("name", [cls.name for cls in estimators.tempered()])
def test_pathwise_estimators_are_biased_by_a_measurable_amount(name):
    estimator = estimators.REGISTRY[name](temperature=estimators.REGISTRY[name].minimum_temperature or 0.5)
    keras.utils.set_random_seed(3)
    exact, _ = gradients.exact_gradient(LOGITS[None], product_reward)
    draws = gradients.estimates(estimator, many_rows(40_000), product_reward, 1)[0][:, None]
    summary = gradients.summarize(draws.reshape(40_000, 1, 3, 3), exact)
    # Far more error than Monte Carlo noise explains, yet pointing the right way.
    assert summary["relative error of the mean"] > 5 * summary["error expected if unbiased"]
    assert summary["cosine(mean, exact)"] > 0.5


@pytest.mark.parametrize("name", REGISTERED)
def test_every_estimator_but_the_relaxed_one_decodes_exact_one_hot_codes(name):
    estimator = estimators.REGISTRY[name]()
    if estimator.relaxed:
        pytest.skip(f"{name} decodes relaxed codes by design")
    if isinstance(estimator, estimators.Exact):
        pytest.skip("the exact sum lists codes rather than drawing them (tested with every_code)")
    logits = tf.random.stateless_normal((500, 4, 7), seed=(0, 1)) * 4.0
    codes = estimator.codes(logits).numpy()
    assert codes.shape == (estimator.num_samples, 500, 4, 7)
    assert np.all((codes == 0.0) | (codes == 1.0)) and np.all(codes.sum(axis=-1) == 1.0)


def test_the_relaxed_code_lies_inside_the_simplex():
    codes = estimators.GumbelSoftmax(2.0).codes(tf.zeros((100, 2, 5))).numpy()
    assert estimators.GumbelSoftmax.relaxed
    np.testing.assert_allclose(codes.sum(axis=-1), 1.0, rtol=1e-5)
    assert codes.max() < 1.0


def test_the_no_gradient_estimator_gives_no_gradient():
    logits = tf.constant(LOGITS[None])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        objective, _, _ = estimators.NoGradient().objective(logits, lambda codes: tf.stack([linear_reward(c) for c in codes]))
    assert tape.gradient(objective, logits) is None


def test_the_temperature_is_a_variable_that_can_be_changed_and_is_checked():
    estimator = estimators.GumbelSoftmax(1.0)
    estimator.set_temperature(0.25)
    assert float(estimator.temperature) == 0.25 and "τ = 0.25" in repr(estimator)
    with pytest.raises(ValueError, match=r"temperature must lie in \(0, inf\), got 0"):
        estimator.set_temperature(0)


@pytest.mark.parametrize("make, message", [
    (lambda: estimators.GumbelSoftmax(0.0), r"temperature must lie in \(0, inf\), got 0.0"),
    (lambda: estimators.StraightThroughGumbel(float("nan")), r"temperature must lie in \(0, inf\), got nan"),
    (lambda: estimators.ReinMax(0.5), r"temperature must lie in \[1, inf\), got 0.5; use 1 or more"),
])
def test_bad_arguments_are_refused_with_what_to_pass(make, message):
    # A negative temperature, one leave-one-out sample and a baseline decay above 1 are in tests/test_bad_input.py.
    with pytest.raises(ValueError, match=message):
        make()


def test_summary_of_known_draws():
    exact = np.array([[1.0, 0.0]])
    draws = np.array([[[2.0, 0.0]], [[0.0, 0.0]], [[2.0, 0.0]], [[0.0, 0.0]]])  # mean exact, spread 1
    summary = gradients.summarize(draws, exact)
    assert summary["relative error of the mean"] == 0.0
    assert summary["relative spread of one estimate"] == 1.0
    assert summary["error expected if unbiased"] == 0.5
    assert summary["cosine(mean, exact)"] == 1.0


def test_every_code_lists_each_code_once_with_its_probability():
    codes, log_q = estimators.every_code(tf.constant(many_rows(2)))
    assert codes.shape == (27, 2, 3, 3)
    classes = np.argmax(codes.numpy()[:, 0], axis=-1)
    assert len({tuple(row) for row in classes}) == 27
    expected = [np.prod([special.softmax(LOGITS[i])[k] for i, k in enumerate(row)]) for row in classes]
    np.testing.assert_allclose(np.exp(log_q.numpy()[:, 0]), expected, rtol=1e-5)


def test_the_exact_estimator_gives_the_gradient_found_by_enumeration():
    rows = many_rows(2)
    exact, _ = gradients.exact_gradient(rows, product_reward)
    draws = gradients.estimates(estimators.Exact(), rows, product_reward, num_draws=3)
    np.testing.assert_allclose(draws, np.repeat(exact[None], 3, axis=0), rtol=1e-4, atol=1e-5)


def test_the_exact_estimator_reports_a_code_drawn_from_q_with_its_reward():
    keras.utils.set_random_seed(0)
    n = 20_000
    objective, codes, rewards = estimators.Exact().objective(
        tf.constant(many_rows(n)), lambda c: tf.stack([product_reward(code) for code in tf.unstack(c)]))
    assert codes.shape == (1, n, 3, 3)
    np.testing.assert_allclose(rewards[0], product_reward(codes[0]), rtol=1e-6)
    for i in range(3):  # each latent's drawn classes follow softmax(logits)
        counts = codes.numpy()[0, :, i].sum(axis=0)
        assert stats.chisquare(counts, n * special.softmax(LOGITS[i])).pvalue > 1e-3
    drawn = rewards.numpy()[0]
    assert abs(drawn.mean() - objective.numpy()[0]) < 4 * drawn.std() / np.sqrt(n)


def test_the_registry_names_each_estimator_class_once_and_refuses_a_second_of_a_name():
    assert len(set(estimators.REGISTRY.values())) == len(estimators.REGISTRY) >= 8
    assert all(cls.name == name for name, cls in estimators.REGISTRY.items())
    with pytest.raises(ValueError, match="registered already"):
        estimators.register(type("Again", (estimators.Estimator,), {"name": "ReinMax"}))


def test_score_function_gradient_matches_the_exact_gradient():
    # f(z) = <w, z> for one categorical: E_q[f] = <w, softmax(l)>, gradient J_softmax^T w exactly.
    one_latent = np.array([1.2, 2.3, 1.4, 3.3, 0.1], np.float32)
    logits = tf.Variable(one_latent[None])
    w = tf.constant([3.0, -1.0, 0.5, 2.0, -2.0])
    probs = special.softmax(one_latent.astype(np.float64))
    exact = (np.diag(probs) - np.outer(probs, probs)) @ w.numpy()
    n = 200_000
    keras.utils.set_random_seed(1)
    with tf.GradientTape() as tape:
        z = latents.categorical_sample(tf.tile(logits, [n, 1]))
        reward = tf.reduce_sum(z * w, axis=-1)
        surrogate = estimators.score_function_surrogate(losses.categorical_log_prob(tf.tile(logits, [n, 1]), z),
                                                     reward, baseline=tf.reduce_mean(reward))
        objective = tf.reduce_mean(surrogate)
    estimate = tape.gradient(objective, logits).numpy()[0]
    np.testing.assert_allclose(estimate, exact, atol=0.02)


def test_the_relaxed_elbo_trains_on_the_concrete_kl_in_place_of_the_categorical_one():
    """Its objective minus the categorical KL (what the model subtracts) is the reward at the relaxed code
    minus log q(y) - log p(y) under Maddison et al.'s Concrete densities, written here in their own form."""
    estimator = estimators.RelaxedELBO(temperature=0.7, prior_temperature=0.4)
    logits = tf.constant(LOGITS[None])
    objective, codes, rewards = estimator.objective(logits, lambda codes: linear_reward(codes[0])[None])
    y = codes.numpy()[0, 0].astype(np.float64)

    def log_concrete(y, logits, temperature):
        k = len(y)
        return (math.lgamma(k) + (k - 1) * np.log(temperature) + np.sum(logits - (temperature + 1) * np.log(y))
                - k * special.logsumexp(logits - temperature * np.log(y)))
    kl = sum(log_concrete(y[i], LOGITS[i], 0.7) - log_concrete(y[i], np.zeros(3), 0.4) for i in range(3))
    categorical_kl = losses.kl_categorical_to_uniform(logits).numpy()[0]
    np.testing.assert_allclose(objective.numpy()[0] - categorical_kl, rewards.numpy()[0, 0] - kl, rtol=1e-4)
    with pytest.raises(ValueError, match=r"prior_temperature must lie in \(0, inf\), got 0"):
        estimators.RelaxedELBO(prior_temperature=0)
