"""Measuring a gradient estimator against the exact gradient, computed by enumerating every code.

For a categorical code small enough to list (num_classes ** num_latents codes), the expectation
E_q[f(z)] = sum_z q(z) f(z) is an ordinary differentiable function of the logits, so its gradient
is exact. Many independent estimates from one estimator then show its bias (how far their mean
lands) and its variance (how far one estimate lands), relative to the exact gradient's length.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from vaecore import checks, estimators

def exact_gradient(logits, reward_fn):
    """The exact d E_q[f] / d logits and E_q[f] itself, one per row of ``logits``.

    ``logits`` is (n, num_latents, num_classes); ``reward_fn`` maps one-hot codes of that shape
    to rewards of shape (n,), row by row. The codes are those of ``estimators.every_code``, whose
    limit on their number applies.
    """
    logits = tf.convert_to_tensor(logits, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        codes, log_q = estimators.every_code(logits)
        rewards = tf.stack([reward_fn(code) for code in tf.unstack(codes)])
        expectation = tf.reduce_sum(tf.exp(log_q) * tf.stop_gradient(rewards), axis=0)
    # Rows are independent: the gradient of their sum holds each row's own gradient.
    return tape.gradient(expectation, logits).numpy(), expectation.numpy()


def estimates(estimator, logits, reward_fn, num_draws: int) -> np.ndarray:
    """``num_draws`` independent estimates of d E_q[f] / d logits:
    (num_draws, *logits.shape).
    """
    checks.integer_at_least("num_draws", num_draws, 1)
    logits = tf.convert_to_tensor(logits, tf.float32)

    def rewards(codes):
        return tf.stack([reward_fn(code) for code in tf.unstack(codes)])

    @tf.function
    def one_estimate(logits):
        with tf.GradientTape() as tape:
            tape.watch(logits)
            objective, _, _ = estimator.objective(logits, rewards)
        return tape.gradient(
            objective, logits
        )  # rows are independent: each gets its own gradient

    return np.stack(
        [one_estimate(logits).numpy() for _ in range(num_draws)]
    )


def summarize(draws: np.ndarray, exact: np.ndarray) -> dict[str, float]:
    """Medians over rows of: one estimate's spread, the mean's error, and
    that error if unbiased.

    Each is relative to the length of the exact gradient of its row. If the
    estimator is unbiased, the mean's error is about spread / sqrt(draws); a
    bias shows as an error well above that. A mean of exactly zero (say,
    every draw sampled the same code) has cosine 0.
    """
    num_draws = len(draws)
    draws = draws.reshape(num_draws, len(exact), -1)
    exact = exact.reshape(len(exact), -1)
    scale = np.linalg.norm(exact, axis=1)
    if not np.all(scale > 0):
        raise ValueError(
            "the exact gradient is zero for rows "
            f"{np.flatnonzero(scale == 0).tolist()}, so errors relative "
            "to its length are undefined; measure at logits where q(z) "
            "is not certain"
        )
    mean = draws.mean(axis=0)
    spread = np.sqrt(draws.var(axis=0).sum(axis=1)) / scale
    error = np.linalg.norm(mean - exact, axis=1) / scale
    length = np.linalg.norm(mean, axis=1) * scale
    # A mean of exactly zero points nowhere: count it as orthogonal to the
    # exact gradient.
    cosine = np.divide(
        np.sum(mean * exact, axis=1),
        length,
        out=np.zeros_like(length),
        where=length > 0,
    )
    return {
        "relative spread of one estimate": float(np.median(spread)),
        "relative error of the mean": float(np.median(error)),
        "error expected if unbiased": float(
            np.median(spread) / np.sqrt(num_draws)
        ),
        "cosine(mean, exact)": float(np.median(cosine)),
    }
