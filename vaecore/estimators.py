"""Gradient estimators for categorical codes: one small object per method, one interface.

A model with a categorical code wants the gradient of E_q[f(z)] with respect to the logits of
q(z|x), where f is, for a VAE, the reconstruction log-likelihood log p(x|z). Every estimator
answers through :meth:`Estimator.objective`: a per-example value whose gradient (by ordinary
backpropagation) *is* the estimator's estimate. Two things differ between estimators:

- the code the decoder sees (``codes``): an exact one-hot sample, a relaxed sample, or a one-hot
  sample with a borrowed gradient;
- an extra surrogate term (``surrogate``) whose value means nothing and whose gradient adds the
  score-function part, with whatever baseline the method uses.

Estimators know no model: they see logits and a reward function of the codes. The temperature of
the estimators that have one is a ``tf.Variable``; an :class:`Annealing` schedule sets it inside
each training step from the optimizer's step count (:meth:`Estimator.before_step`), so it is exact
however many steps a compiled call runs.
For a code small enough to list, :class:`Exact` estimates nothing: it sums over every code.

Every estimator class is registered once, in ``REGISTRY`` (by its ``name``): the tests and the
error messages read it, so adding an estimator means writing its class and decorating it with
``@register``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from vaecore import checks, latents, losses


def score_function_surrogate(
    log_prob: tf.Tensor, reward: tf.Tensor, baseline=0.0
) -> tf.Tensor:
    """A per-example term whose gradient is the score-function (REINFORCE)
    estimate.

    d/dphi E_q[f(z)] = E_q[(f(z) - b) d/dphi log q(z)] for any b that does
    not depend on z. The value of the surrogate means nothing; only its
    gradient does. Add it to the objective that is maximized.
    """
    return tf.stop_gradient(reward - baseline) * log_prob


MAX_ENUMERATED_CODES = 4096


def every_code(logits: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Every code for every example, with its log-probability under
    softmax(logits).

    For ``logits`` (batch, num_latents, num_classes): the codes (num_codes,
    batch, num_latents, num_classes), one-hot, the first latent varying
    slowest, and log q(z) (num_codes, batch).
    """
    logits = tf.convert_to_tensor(logits)
    if logits.shape.rank != 3 or None in logits.shape[1:]:
        raise ValueError(
            f"logits have shape {tuple(logits.shape)}; every_code needs "
            "(batch, num_latents, num_classes) with known sizes"
        )
    _, num_latents, num_classes = logits.shape
    count = num_classes**num_latents
    if count > MAX_ENUMERATED_CODES:
        raise ValueError(
            f"logits of shape {tuple(logits.shape)} have {num_classes} ** "
            f"{num_latents} = {count:,} codes, too many to list (limit "
            f"{MAX_ENUMERATED_CODES:,}); use fewer latents or classes, "
            "or an estimator that samples"
        )
    place_values = num_classes ** np.arange(num_latents - 1, -1, -1)
    classes = (np.arange(count)[:, None] // place_values) % num_classes
    codes = tf.one_hot(classes, num_classes, dtype=logits.dtype)[:, None]
    codes = tf.tile(codes, [1, tf.shape(logits)[0], 1, 1])
    return codes, tf.reduce_sum(
        codes * tf.nn.log_softmax(logits)[None], axis=[2, 3]
    )


class Estimator:
    """The interface. Subclasses define ``code`` (one sample) and, if they need them, the rest.

    Shapes: ``logits`` (batch, num_latents, num_classes); ``codes`` and the rewards carry a
    leading axis of ``num_samples`` draws per example.
    """

    name = "estimator"
    num_samples = 1
    relaxed = False  # True when the codes the decoder sees in training are not one-hot

    def code(self, logits: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def codes(self, logits: tf.Tensor) -> tf.Tensor:
        """``num_samples`` codes per example, shape (num_samples, *logits.shape)."""
        return tf.stack([self.code(logits) for _ in range(self.num_samples)])

    def surrogate(self, logits: tf.Tensor, codes: tf.Tensor, rewards: tf.Tensor) -> tf.Tensor:
        """The extra per-example term of the objective; none for pathwise estimators."""
        return tf.zeros_like(rewards[0])

    def before_step(self, step: tf.Tensor) -> None:
        """Set per-step state (an annealed temperature) from the number of steps taken; most have none."""

    def update(self, rewards: tf.Tensor) -> None:
        """Update state (a baseline) after a training step; most estimators have none."""

    def objective(self, logits: tf.Tensor, reward_fn):
        """Per-example objective whose gradient estimates d E_q[f] / d logits, with its codes and rewards.

        ``reward_fn`` maps codes (num_samples, batch, ...) to rewards f(z) of shape (num_samples, batch).
        The objective's value is the mean reward plus the surrogate term; report the rewards instead.
        """
        codes = self.codes(logits)
        rewards = reward_fn(codes)
        return tf.reduce_mean(rewards, axis=0) + self.surrogate(logits, codes, rewards), codes, rewards

    def __repr__(self) -> str:
        return self.name


REGISTRY: dict[str, type[Estimator]] = {}


def register(cls: type[Estimator]) -> type[Estimator]:
    """Class decorator: list an estimator in ``REGISTRY`` under its ``name`` (once)."""
    if cls.name in REGISTRY:
        raise ValueError(f"an estimator named {cls.name!r} is registered already ({REGISTRY[cls.name].__name__})")
    REGISTRY[cls.name] = cls
    return cls


def tempered() -> list[type[Estimator]]:
    """The registered estimators that have a temperature to set or anneal."""
    return [cls for cls in REGISTRY.values() if issubclass(cls, Tempered)]


class Annealing(NamedTuple):
    """Jang et al.'s (2017) temperature schedule: max(minimum, initial * exp(-rate * s)), where s is the
    step count rounded down to a multiple of ``every`` (the temperature changes every ``every`` steps)."""

    initial: float = 1.0
    minimum: float = 0.5
    rate: float = 1e-4
    every: int = 1000

    def temperature(self, step) -> tf.Tensor:
        """The temperature in force at training step ``step`` (0 for the first), as a float32 scalar.

        Computed in float64 and rounded once, so it equals the formula evaluated in Python and
        stored in a float32 variable.
        """
        held = tf.cast(tf.math.floordiv(tf.cast(step, tf.int64), self.every) * self.every, tf.float64)
        value = tf.maximum(tf.constant(self.minimum, tf.float64), self.initial * tf.exp(-self.rate * held))
        return tf.cast(value, tf.float32)


class Tempered(Estimator):
    """An estimator with a temperature held in a variable, fixed or set each step by an :class:`Annealing`."""

    minimum_temperature = 0.0
    annealing: Annealing | None = None

    def __init__(self, temperature: float = 1.0):
        value = checks.temperature(temperature, self.minimum_temperature)
        self.temperature = tf.Variable(value, trainable=False, dtype=tf.float32, name="temperature")

    def set_temperature(self, value: float) -> None:
        self.temperature.assign(checks.temperature(value, self.minimum_temperature))

    def anneal(self, annealing: Annealing | None) -> None:
        """Follow ``annealing`` from the next training step on (``None``: keep the temperature fixed)."""
        if annealing is not None:
            checks.temperature(annealing.minimum, self.minimum_temperature, name="minimum")
            checks.number_in("initial", annealing.initial, annealing.minimum, float("inf"),
                             "it must not start below the minimum")
            checks.number_in("rate", annealing.rate, 0.0, float("inf"), "use e.g. 1e-4 per step")
            checks.integer_at_least("every", annealing.every, 1)
        self.annealing = annealing

    def before_step(self, step):
        if self.annealing is not None:
            self.temperature.assign(self.annealing.temperature(step))

    def __repr__(self) -> str:
        return f"{self.name} (τ = {float(self.temperature):g})"


@register
class NoGradient(Estimator):
    """Sample and one-hot encode: no gradient reaches the logits through the code
    (notebooks/03_categorical_failure.ipynb)."""

    name = "no gradient"

    def code(self, logits):
        return latents.categorical_sample(logits)


class ScoreFunctionBase(Estimator):
    """REINFORCE (Williams, 1992): exact one-hot samples and the
    score-function surrogate; a subclass says which baseline to subtract.
    """

    def code(self, logits):
        return latents.categorical_sample(logits)

    def baseline_for(self, rewards):
        """The baseline subtracted from each reward; it must not depend on
        that reward's own sample.
        """
        raise NotImplementedError

    def surrogate(self, logits, codes, rewards):
        log_q = tf.stack(
            [
                losses.categorical_log_prob(logits, code)
                for code in tf.unstack(codes)
            ]
        )
        return tf.reduce_mean(
            score_function_surrogate(
                log_q, rewards, self.baseline_for(rewards)
            ),
            axis=0,
        )


@register
class ScoreFunction(ScoreFunctionBase):
    """REINFORCE with a moving average of past rewards as baseline."""

    name = "score function"

    def __init__(self, baseline_decay: float = 0.99):
        self.baseline_decay = checks.number_in(
            "baseline_decay",
            baseline_decay,
            0.0,
            1.0,
            "use e.g. 0.99 (a slow average)",
            open_high=True,
        )
        self.baseline = tf.Variable(0.0, trainable=False, name="baseline")

    def baseline_for(self, rewards):
        return self.baseline

    def update(self, rewards):
        decay = self.baseline_decay
        self.baseline.assign(
            decay * self.baseline + (1.0 - decay) * tf.reduce_mean(rewards)
        )


@register
class LeaveOneOut(ScoreFunctionBase):
    """REINFORCE over several samples, each with the mean reward of the
    others as its baseline (RLOO).

    The baseline of sample i does not depend on z_i, so the estimate stays
    unbiased, and it is fitted to each example rather than to the whole data
    set (Kool et al., 2019).
    """

    name = "score function, leave-one-out"

    def __init__(self, num_samples: int = 2):
        self.num_samples = checks.integer_at_least(
            "num_samples",
            num_samples,
            2,
            "a leave-one-out baseline needs another sample",
        )

    def baseline_for(self, rewards):
        return (tf.reduce_sum(rewards, axis=0, keepdims=True) - rewards) / (
            self.num_samples - 1
        )


@register
class GumbelSoftmax(Tempered):
    """The relaxed sample softmax((logits + g) / τ): low variance, biased (Jang et al.; Maddison et al.)."""

    name = "Gumbel-Softmax"
    relaxed = True

    def code(self, logits):
        return latents.gumbel_softmax(logits, self.temperature)


class RelaxedELBO(GumbelSoftmax):
    """Maddison et al.'s (2017) relaxed ELBO: the relaxed sample of Gumbel-Softmax, and in place of the
    categorical KL the KL between Concrete densities of q and of a relaxed uniform prior, estimated at
    the same sample. ``prior_temperature`` fixes the prior's temperature (default: the posterior's, at
    every step, annealed or not).

    Not registered: it changes the objective, not the estimate of the gradient of E_q[f(z)] (for that
    part it is Gumbel-Softmax), so the estimator bench and its tests do not apply to it.
    """

    name = "relaxed ELBO"

    def __init__(self, temperature: float = 1.0, prior_temperature: float | None = None):
        super().__init__(temperature)
        self.prior_temperature = None if prior_temperature is None else checks.temperature(
            prior_temperature, name="prior_temperature")

    def objective(self, logits, reward_fn):
        tau = self.temperature
        log_codes = latents.log_gumbel_softmax(logits, tau)
        codes = tf.exp(log_codes)[None]
        rewards = reward_fn(codes)
        prior_tau = self.prior_temperature or tau  # None: the posterior's
        relaxed_kl = losses.concrete_kl_at_sample(
            log_codes, logits, tau, prior_tau
        )
        # The model subtracts the categorical KL from every estimator's
        # objective: add it back and subtract the Concrete KL instead.
        categorical_kl = losses.kl_categorical_to_uniform(logits)
        return rewards[0] - relaxed_kl + categorical_kl, codes, rewards


@register
class StraightThrough(Estimator):
    """A one-hot sample forward, the softmax's gradient backward (Bengio et al., 2013; DreamerV2)."""

    name = "straight-through"

    def code(self, logits):
        return latents.straight_through_sample(logits)


@register
class StraightThroughGumbel(Tempered):
    """The Gumbel-Max one-hot sample forward, the relaxed sample's gradient backward."""

    name = "straight-through Gumbel-Softmax"

    def code(self, logits):
        return latents.gumbel_softmax(logits, self.temperature, hard=True)


@register
class ReinMax(Tempered):
    """A one-hot sample forward, a second-order straight-through gradient backward (Liu et al., 2023)."""

    name = "ReinMax"
    minimum_temperature = latents.REINMAX_MINIMUM_TEMPERATURE

    def code(self, logits):
        return latents.reinmax_sample(logits, self.temperature)


@register
class Exact(Estimator):
    """No estimate at all: the gradient of E_q[f] = sum_z q(z) f(z), summed over every code.

    Only for small codes: it costs one decoder pass per code and example (num_classes **
    num_latents of them), the price every estimator above avoids. It is the reference they are
    measured against. The codes and rewards it reports are those of one code drawn from q, so that
    a model tracks the same single-sample ELBO as with any other estimator.
    """

    name = "exact (every code)"

    def codes(self, logits):
        """Every code, (num_codes, batch, num_latents, num_classes): the expectation is a sum over them."""
        return every_code(logits)[0]

    def objective(self, logits, reward_fn):
        codes, log_q = every_code(logits)
        rewards = reward_fn(codes)
        drawn = latents.gumbel_max_sample(tf.transpose(log_q))
        picked = tf.stack([drawn, tf.range(tf.shape(drawn)[0])], axis=1)
        return (tf.reduce_sum(tf.exp(log_q) * rewards, axis=0), tf.gather_nd(codes, picked)[None],
                tf.gather_nd(rewards, picked)[None])
