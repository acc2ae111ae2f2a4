"""vaecore.gradients: the exact gradient by enumeration, checked by hand and by an independent loop over codes."""

import itertools

import numpy as np
import pytest
import tensorflow as tf
from scipy import special

from vaecore import gradients

LOGITS = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], np.float32)  # two latents of three classes
A, B = np.array([1.0, -2.0, 0.5], np.float32), np.array([0.3, 1.0, -1.5], np.float32)


def linear_reward(code):
    return tf.reduce_sum(code[:, 0] * A, -1) + tf.reduce_sum(code[:, 1] * B, -1)


def curved_reward(code):
    a, b = tf.reduce_sum(code[:, 0] * A, -1), tf.reduce_sum(code[:, 1] * B, -1)
    return 5.0 + 3.0 * a * b + tf.sin(2.0 * a) + b * b


def gradient_by_loop(logits, reward_fn):
    """The same expectation written independently: itertools over the codes, one at a time, in float64."""
    logits = tf.constant(logits, tf.float64)
    n, num_latents, num_classes = logits.shape
    with tf.GradientTape() as tape:
        tape.watch(logits)
        log_q = tf.nn.log_softmax(logits)
        expectation = tf.zeros([n], tf.float64)
        for classes in itertools.product(range(num_classes), repeat=num_latents):
            code = tf.tile(tf.one_hot(classes, num_classes, dtype=tf.float64)[None], [n, 1, 1])
            reward = tf.cast(reward_fn(tf.cast(code, tf.float32)), tf.float64)
            expectation += tf.exp(tf.reduce_sum(log_q * code, axis=[1, 2])) * reward
    return tape.gradient(expectation, logits).numpy(), expectation.numpy()


def test_exact_gradient_of_a_linear_reward_by_hand():
    gradient, expectation = gradients.exact_gradient(LOGITS[None], linear_reward)
    p1, p2 = special.softmax(LOGITS.astype(np.float64), axis=-1)
    jacobian = lambda p, g: (np.diag(p) - np.outer(p, p)) @ g  # noqa: E731
    np.testing.assert_allclose(expectation, [p1 @ A + p2 @ B], rtol=1e-5)
    np.testing.assert_allclose(gradient[0], [jacobian(p1, A), jacobian(p2, B)], rtol=1e-5, atol=1e-6)


def test_exact_gradient_equals_a_loop_over_every_code():
    rows = np.stack([LOGITS, -LOGITS, 2.0 * LOGITS])
    gradient, expectation = gradients.exact_gradient(rows, curved_reward)
    by_loop, expectation_by_loop = gradient_by_loop(rows, curved_reward)
    np.testing.assert_allclose(expectation, expectation_by_loop, rtol=1e-5)
    np.testing.assert_allclose(gradient, by_loop, rtol=1e-4, atol=1e-6)


def test_exact_gradient_refuses_codes_too_many_to_list():
    with pytest.raises(ValueError, match="too many to list"):
        gradients.exact_gradient(np.zeros((1, 20, 10), np.float32), linear_reward)


def test_summary_of_a_mean_of_zero_is_orthogonal_without_a_warning():
    draws = np.array([[[1.0, 0.0]], [[-1.0, 0.0]]])  # the two draws cancel
    with np.errstate(all="raise"):
        summary = gradients.summarize(draws, np.array([[1.0, 0.0]]))
    assert summary["cosine(mean, exact)"] == 0.0
    assert summary["relative error of the mean"] == 1.0
