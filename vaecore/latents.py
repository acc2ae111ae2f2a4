"""Sampling latent codes so that gradients can flow through the sample.

The reparameterization trick (Kingma & Welling, 2013): instead of drawing
``z ~ N(mean, exp(logvar))`` directly, draw parameter-free noise
``eps ~ N(0, I)`` and compute ``z = mean + exp(logvar / 2) * eps``. The sample
has the same distribution, but it is now a differentiable function of
``mean`` and ``logvar``, so backpropagation reaches the encoder.
"""

from __future__ import annotations

import tensorflow as tf

from vaecore import checks, draws


def reparameterize(mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """A sample of N(mean, diag(exp(logvar))), differentiable in both.

    The noise takes its shape from ``tf.shape`` (known when the graph
    runs), so this works inside ``tf.function`` with an unknown batch size.
    """
    checks.same_shape("mean", mean, "logvar", logvar)
    eps = draws.normal(tf.shape(mean), dtype=mean.dtype)
    return mean + tf.exp(0.5 * logvar) * eps


# --- Discrete latents -------------------------------------------------------------------------------
#
# Gumbel-Max (Gumbel, 1954; Maddison et al., 2014): if g_i are independent standard Gumbel variables,
# argmax_i (logits_i + g_i) is distributed as softmax(logits). Adding the same constant to every logit
# changes nothing, so ``logits`` may be raw network outputs or log-probabilities alike.


def gumbel_from_uniform(u: tf.Tensor) -> tf.Tensor:
    """Standard Gumbel variables -log(-log u) from uniforms, safe at u = 0
    and u = 1.

    ``u`` is clipped into [tiny, 1 - eps]: at exactly 0 the transform gives
    -inf and at exactly 1 it gives +inf, which would turn a softmax into
    NaN.
    """
    u = tf.convert_to_tensor(u)
    info = tf.experimental.numpy.finfo(u.dtype.as_numpy_dtype)
    u = tf.clip_by_value(u, float(info.tiny), 1.0 - float(info.eps))
    return -tf.math.log(-tf.math.log(u))


def sample_gumbel(shape, seed=None, dtype=tf.float32) -> tf.Tensor:
    """Standard Gumbel noise of ``shape``; ``seed`` (a pair of ints) makes it reproducible."""
    if seed is None:
        u = draws.uniform(shape, dtype=dtype)
    else:
        u = tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)
    return gumbel_from_uniform(u)


def gumbel_max_sample(
    logits: tf.Tensor, num_samples: int | None = None, seed=None
) -> tf.Tensor:
    """Category indices drawn from softmax(logits) by the Gumbel-Max trick,
    all at once.

    With ``num_samples``, ``logits`` of shape (K,) give an int tensor of
    ``num_samples`` draws; otherwise one draw per row of ``logits`` (shape
    (..., K) -> (...)).
    """
    logits = tf.convert_to_tensor(logits)
    if num_samples is not None:
        checks.integer_at_least("num_samples", num_samples, 1)
    shape = (
        tf.shape(logits)
        if num_samples is None
        else tf.concat([[num_samples], tf.shape(logits)], 0)
    )
    return tf.argmax(
        logits + sample_gumbel(shape, seed, logits.dtype),
        axis=-1,
        output_type=tf.int32,
    )


def gumbel_softmax(
    logits: tf.Tensor, temperature, hard: bool = False, seed=None
) -> tf.Tensor:
    """A relaxed one-hot sample softmax((logits + g) / temperature) (Jang et
    al.; Maddison et al., 2017).

    Low temperatures give nearly one-hot vectors (and noisy gradients), high
    ones nearly uniform vectors. ``hard=True`` returns the exact one-hot
    argmax in the forward pass and the relaxed sample's gradient in the
    backward pass (straight-through Gumbel-Softmax).
    """
    _check_temperature(temperature)
    logits = tf.convert_to_tensor(logits)
    relaxed = tf.nn.softmax(
        (logits + sample_gumbel(tf.shape(logits), seed, logits.dtype))
        / temperature
    )
    return (
        straight_through(one_hot_argmax(relaxed), relaxed)
        if hard
        else relaxed
    )


def log_gumbel_softmax(logits: tf.Tensor, temperature, seed=None) -> tf.Tensor:
    """The log of a relaxed sample, log_softmax((logits + g) / temperature): a draw of Maddison et
    al.'s (2017) ExpConcrete distribution. Its exp is ``gumbel_softmax``'s sample; kept in log space, a
    tiny component keeps its value instead of underflowing to 0, which its density needs
    (``losses.exp_concrete_log_density``).
    """
    _check_temperature(temperature)
    logits = tf.convert_to_tensor(logits)
    gumbel = sample_gumbel(tf.shape(logits), seed, logits.dtype)
    return tf.nn.log_softmax((logits + gumbel) / temperature)


def one_hot_argmax(probs: tf.Tensor) -> tf.Tensor:
    """The one-hot vector of the largest entry along the last axis."""
    return tf.one_hot(tf.argmax(probs, axis=-1), tf.shape(probs)[-1], dtype=probs.dtype)


def straight_through(forward: tf.Tensor, backward: tf.Tensor) -> tf.Tensor:
    """Equal to ``forward`` bit for bit, with the gradient of ``backward``.

    Computed as ``forward + (backward - stop_gradient(backward))``: the
    bracket is exactly 0 in floating point, so the value is exactly
    ``forward``. The usual ``forward + backward - stop_gradient(backward)``
    rounds: a one-hot 1.0 can come out as 0.99999994.
    """
    return forward + (backward - tf.stop_gradient(backward))


def categorical_sample(logits: tf.Tensor) -> tf.Tensor:
    """One-hot samples from softmax(logits) along the last axis. Not differentiable: no gradient
    reaches ``logits`` through the sample (the problem of notebooks/03_categorical_failure.ipynb)."""
    # Drawn by the Gumbel-Max trick: an exact sample, and fast under XLA (vaecore.draws).
    return tf.one_hot(gumbel_max_sample(logits), tf.shape(logits)[-1], dtype=logits.dtype)


def straight_through_sample(logits: tf.Tensor) -> tf.Tensor:
    """A one-hot sample forward, the gradient of softmax(logits) backward
    (DreamerV2's estimator).
    """
    return straight_through(
        categorical_sample(logits), tf.nn.softmax(logits)
    )


def _softmax_vjp(probs: tf.Tensor, upstream: tf.Tensor) -> tf.Tensor:
    """The vector-Jacobian product of a softmax with outputs ``probs``: (diag(p) - p p^T) g."""
    return probs * upstream - probs * tf.reduce_sum(probs * upstream, axis=-1, keepdims=True)


REINMAX_MINIMUM_TEMPERATURE = 1.0  # the reference implementation refuses lower temperatures


def reinmax_sample(logits: tf.Tensor, temperature) -> tf.Tensor:
    """A one-hot sample z from softmax(logits) whose gradient is ReinMax's
    (Liu et al., 2023).

    Where straight-through approximates the reward's difference between two
    codes by its slope at one of them (an Euler step), ReinMax averages the
    slopes at both (Heun's trapezoid rule). In expectation this gives, with
    pi0 = softmax(logits) and pi1 = (softmax(logits / temperature) + z) / 2,
    the gradient 2 J(pi1) g - J(pi0) g / 2 for the logits, where
    J(p) = diag(p) - p p^T and g is the gradient that arrives at z. The
    paper's reference implementation refuses temperatures below 1, and so
    does this one.
    """
    _check_temperature(temperature, minimum=REINMAX_MINIMUM_TEMPERATURE)
    logits = tf.convert_to_tensor(logits)
    temperature = tf.cast(temperature, logits.dtype)
    probs = tf.nn.softmax(logits)
    sample = categorical_sample(logits)

    @tf.custom_gradient
    def code(logits):
        def backward(upstream):
            midpoint = 0.5 * (tf.nn.softmax(logits / temperature) + sample)
            return 2.0 * _softmax_vjp(
                midpoint, upstream
            ) - 0.5 * _softmax_vjp(probs, upstream)

        return tf.identity(sample), backward

    return code(logits)


def _check_temperature(temperature, minimum: float = 0.0) -> None:
    """A Python temperature is checked at once; a tensor or variable when the graph runs."""
    if isinstance(temperature, (int, float)):
        checks.temperature(temperature, minimum)
    elif minimum == 0.0:
        tf.debugging.assert_positive(temperature, message="temperature must be positive")
    else:
        tf.debugging.assert_greater_equal(temperature, tf.cast(minimum, temperature.dtype),
                                          message=f"temperature must be at least {minimum:g}")
