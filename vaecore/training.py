"""Training every model the same way: ``model.fit`` on a cached pipeline, compiled, timed, with schedules.

``fit`` takes the learning-rate schedule by name (constant, or a cosine decay over the run) and,
for an estimator with a temperature, Jang et al.'s (2017) annealing, which the estimator applies
inside each step. How the steps run (XLA or not, how many steps per call) is chosen per model kind
from measurements (``python -m vaecore.speed``): see :data:`EXECUTIONS`. ``fit_prior`` trains a
prior over codes.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import keras
import numpy as np

from vaecore import checks, data, estimators, runtime


class Run(NamedTuple):
    """What a training run leaves behind: its per-epoch ``history`` and its wall-clock cost."""

    history: dict[str, list[float]]
    epochs: int
    seconds: float
    images_per_second: float


class Execution(NamedTuple):
    """How Keras runs training steps: XLA-compiled or not, and how many steps one call of the compiled
    function takes (an epoch's last call takes what is left; validation runs the same way)."""

    jit_compile: bool
    steps_per_execution: int


KERAS_DEFAULT = Execution(jit_compile=False, steps_per_execution=1)
# Measured on 2 cores by ``python -m vaecore.speed`` (appendix A): XLA fuses the many small ops of
# the dense models' steps; on convolutions oneDNN beats XLA's CPU code, and several steps per call
# only save the per-call overhead.
EXECUTIONS = {
    "dense": Execution(jit_compile=True, steps_per_execution=50),
    "convolutional": Execution(jit_compile=False, steps_per_execution=25),
}


def layers_of(model: keras.layers.Layer):
    """Every layer inside ``model``, however deeply nested."""
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from layers_of(layer)


def kind_of(model: keras.Model) -> str:
    """``"convolutional"`` if any layer of the model convolves, else ``"dense"``."""
    convolutions = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    return "convolutional" if any(isinstance(layer, convolutions) for layer in layers_of(model)) else "dense"


def execution_for(model: keras.Model) -> Execution:
    """The fastest measured way to run ``model``'s steps (:data:`EXECUTIONS` by :func:`kind_of`),
    without XLA where ``VAECORE_XLA=0`` (:func:`vaecore.runtime.xla_allowed`)."""
    execution = EXECUTIONS[kind_of(model)]
    return execution if runtime.xla_allowed() else execution._replace(jit_compile=False)


def cosine_decay(initial: float, epochs: int, train_size: int, batch_size: int, floor: float = 0.05):
    """A learning rate that falls from ``initial`` to ``floor * initial`` along a half cosine over the run."""
    checks.integer_at_least("epochs", epochs, 1)
    checks.integer_at_least("train_size", train_size, 1)
    checks.integer_at_least("batch_size", batch_size, 1)
    checks.number_in("floor", floor, 0.0, 1.0, "the share of the initial rate left at the end, e.g. 0.05")
    steps = epochs * math.ceil(train_size / batch_size)
    return keras.optimizers.schedules.CosineDecay(initial, decay_steps=steps, alpha=floor)


class EpochClock(keras.callbacks.Callback):
    """The wall-clock seconds each epoch of a ``fit`` took (``seconds``); from the second epoch on,
    without the tracing and compiling of the first."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


class TemperatureLog(keras.callbacks.Callback):
    """Adds the estimator's temperature at the end of each epoch to the history (``temperature``)."""

    def __init__(self, estimator: estimators.Tempered):
        super().__init__()
        self.estimator = estimator

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["temperature"] = float(self.estimator.temperature)


def _annealing(vae, anneal_temperature) -> estimators.Annealing | None:
    """The schedule ``fit`` gives the model's estimator, refusing a model that has no temperature."""
    estimator = getattr(vae, "estimator", None)
    if anneal_temperature is False:
        return None
    if not isinstance(estimator, estimators.Tempered):
        names = ", ".join(cls.__name__ for cls in estimators.tempered())
        raise ValueError(f"anneal_temperature is set but the model's estimator {estimator!r} has no temperature "
                         f"to anneal; use one that has: {names}")
    if anneal_temperature is True:
        return estimators.Annealing()
    if not isinstance(anneal_temperature, estimators.Annealing):
        raise ValueError(f"anneal_temperature must be True, False or an estimators.Annealing, got "
                         f"{anneal_temperature!r}")
    return anneal_temperature


SCHEDULES = ("constant", "cosine")


def fit(vae: keras.Model, images: np.ndarray, *, learning_rate, epochs: int, batch_size: int = 128,
        schedule: str = "constant", schedule_epochs: int | None = None,
        anneal_temperature: bool | estimators.Annealing = False, validation: np.ndarray | None = None,
        callbacks=(), seed: int = 0, execution: Execution | None = None, verbose: int = 1) -> Run:
    """Compile ``vae`` with Adam and train it.

    ``images`` are intensities in [0, 1] (the model binarizes each batch itself); ``validation``,
    if given, are binary test images scored after each epoch (``val_elbo`` in the history).
    ``learning_rate`` is a number, or a Keras schedule with ``schedule="constant"``.
    ``schedule="cosine"`` lets it fall along :func:`cosine_decay` over ``schedule_epochs`` (default:
    ``epochs``; a longer span lets runs of different lengths share one schedule).
    ``anneal_temperature`` makes the model's estimator follow Jang et al.'s schedule
    (``True``: :class:`vaecore.estimators.Annealing`'s defaults, or a given ``Annealing``); its
    temperature at each epoch's end is in the history. ``execution`` overrides
    :func:`execution_for`'s choice (``KERAS_DEFAULT`` is Keras's own: one uncompiled step per call).
    ``callbacks`` go to ``model.fit``; with several steps per call, Keras calls batch-level callbacks
    once per call. The throughput counts training images only.
    """
    checks.integer_at_least("epochs", epochs, 1)
    checks.integer_at_least("batch_size", batch_size, 1)
    checks.one_of("schedule", schedule, SCHEDULES)
    if schedule == "cosine":
        span = epochs if schedule_epochs is None else checks.integer_at_least("schedule_epochs", schedule_epochs, 1)
        learning_rate = cosine_decay(learning_rate, span, len(images), batch_size)
    elif schedule_epochs is not None:
        raise ValueError(f"schedule_epochs={schedule_epochs} is given but schedule is 'constant'; "
                         "pass schedule='cosine' or leave schedule_epochs out")
    annealing = _annealing(vae, anneal_temperature)
    if isinstance(getattr(vae, "estimator", None), estimators.Tempered):
        vae.estimator.anneal(annealing)
    if annealing is not None:
        callbacks = [TemperatureLog(vae.estimator), *callbacks]
    execution = execution_for(vae) if execution is None else execution
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate), **execution._asdict())
    batches = data.train_dataset(images, batch_size=batch_size, seed=seed)
    validation_data = None if validation is None else data.eval_dataset(validation)
    with runtime.quiet_retracing(), runtime.Stopwatch() as clock:
        history = vae.fit(batches, epochs=epochs, validation_data=validation_data, callbacks=list(callbacks),
                          verbose=verbose)
    return Run(history.history, epochs, clock.seconds, epochs * len(images) / clock.seconds)


def fit_prior(prior: keras.Model, codes: np.ndarray, validation_codes: np.ndarray, *, epochs: int,
              batch_size: int = 128, learning_rate: float = 1e-3, execution: Execution | None = None,
              callbacks=(), verbose: int = 1) -> Run:
    """Train a prior over grids of integer codes (``priors.pixelcnn``) by maximum likelihood.

    Each position's code is predicted from the grid (the masks hide what comes after it), so the
    loss is the sparse cross-entropy of the grid against itself; ``val_loss`` is the validation
    codes' negative log-likelihood per position. ``execution`` and ``callbacks`` as in :func:`fit`. The throughput
    counts grids.
    """
    checks.integer_at_least("epochs", epochs, 1)
    execution = execution_for(prior) if execution is None else execution
    prior.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), **execution._asdict())
    with runtime.quiet_retracing(), runtime.Stopwatch() as clock:
        history = prior.fit(codes, codes, batch_size=batch_size, epochs=epochs,
                            validation_data=(validation_codes, validation_codes), callbacks=list(callbacks),
                            verbose=verbose)
    return Run(history.history, epochs, clock.seconds, epochs * len(codes) / clock.seconds)
