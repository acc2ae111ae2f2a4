"""Training every model the same way: ``model.fit`` on a cached pipeline, timed, with schedules.

``fit`` takes the learning-rate schedule by name (constant, or a cosine decay over the run) and,
for an estimator with a temperature, Jang et al.'s (2017) annealing, a Keras callback that changes
the estimator's temperature variable during training. ``fit_prior`` trains a prior over codes.
"""

from __future__ import annotations

import math
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


def cosine_decay(initial: float, epochs: int, train_size: int, batch_size: int, floor: float = 0.05):
    """A learning rate that falls from ``initial`` to ``floor * initial`` along a half cosine over the run."""
    checks.integer_at_least("epochs", epochs, 1)
    checks.integer_at_least("train_size", train_size, 1)
    checks.integer_at_least("batch_size", batch_size, 1)
    checks.number_in("floor", floor, 0.0, 1.0, "the share of the initial rate left at the end, e.g. 0.05")
    steps = epochs * math.ceil(train_size / batch_size)
    return keras.optimizers.schedules.CosineDecay(initial, decay_steps=steps, alpha=floor)


def annealed_temperature(step: int, initial: float = 1.0, minimum: float = 0.5, rate: float = 1e-4,
                         every: int = 1000) -> float:
    """Jang et al.'s schedule: max(minimum, initial * exp(-rate * step)), step rounded down to a multiple of ``every``."""
    checks.integer_at_least("step", step, 0)
    checks.integer_at_least("every", every, 1)
    return max(minimum, initial * math.exp(-rate * every * (step // every)))


class TemperatureAnnealing(keras.callbacks.Callback):
    """Sets ``estimator``'s temperature by :func:`annealed_temperature` every ``every`` training steps.

    The temperature in force at the end of each epoch is added to the logs (``temperature`` in the
    history).
    """

    def __init__(self, estimator, initial: float = 1.0, minimum: float = 0.5, rate: float = 1e-4,
                 every: int = 1000):
        super().__init__()
        if not isinstance(estimator, estimators.Tempered):
            names = ", ".join(cls.__name__ for cls in estimators.tempered())
            raise ValueError(f"estimator {estimator!r} has no temperature to anneal; use one that has: {names}")
        checks.temperature(minimum, estimator.minimum_temperature, name="minimum")
        checks.number_in("initial", initial, minimum, math.inf, "it must not start below the minimum")
        checks.number_in("rate", rate, 0.0, math.inf, "use e.g. 1e-4 per step")
        self.every = checks.integer_at_least("every", every, 1)
        self.estimator, self.initial, self.minimum, self.rate = estimator, initial, minimum, rate
        self.step = 0

    def temperature(self, step: int) -> float:
        return annealed_temperature(step, self.initial, self.minimum, self.rate, self.every)

    def on_train_batch_begin(self, batch, logs=None):
        if self.step % self.every == 0:
            self.estimator.set_temperature(self.temperature(self.step))
        self.step += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["temperature"] = float(self.estimator.temperature)


SCHEDULES = ("constant", "cosine")


def fit(vae: keras.Model, images: np.ndarray, *, learning_rate, epochs: int, batch_size: int = 128,
        schedule: str = "constant", schedule_epochs: int | None = None, anneal_temperature: bool = False,
        validation: np.ndarray | None = None, callbacks=(), seed: int = 0, verbose: int = 1) -> Run:
    """Compile ``vae`` with Adam and train it.

    ``images`` are intensities in [0, 1] (the model binarizes each batch itself); ``validation``,
    if given, are binary test images scored after each epoch (``val_elbo`` in the history).
    ``learning_rate`` is a number, or a Keras schedule with ``schedule="constant"``.
    ``schedule="cosine"`` lets it fall along :func:`cosine_decay` over ``schedule_epochs`` (default:
    ``epochs``; a longer span lets runs of different lengths share one schedule).
    ``anneal_temperature`` applies Jang et al.'s schedule (:class:`TemperatureAnnealing`'s defaults)
    to the model's estimator. ``callbacks`` go to ``model.fit``. The throughput counts training
    images only.
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
    if anneal_temperature:
        callbacks = [TemperatureAnnealing(getattr(vae, "estimator", None)), *callbacks]
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    batches = data.train_dataset(images, batch_size=batch_size, seed=seed)
    validation_data = None if validation is None else data.eval_dataset(validation)
    with runtime.Stopwatch() as clock:
        history = vae.fit(batches, epochs=epochs, validation_data=validation_data, callbacks=list(callbacks),
                          verbose=verbose)
    return Run(history.history, epochs, clock.seconds, epochs * len(images) / clock.seconds)


def fit_prior(prior: keras.Model, codes: np.ndarray, validation_codes: np.ndarray, *, epochs: int,
              batch_size: int = 128, learning_rate: float = 1e-3, verbose: int = 1) -> Run:
    """Train a prior over grids of integer codes (``priors.pixelcnn``) by maximum likelihood.

    Each position's code is predicted from the grid (the masks hide what comes after it), so the
    loss is the sparse cross-entropy of the grid against itself; ``val_loss`` is the validation
    codes' negative log-likelihood per position. The throughput counts grids.
    """
    checks.integer_at_least("epochs", epochs, 1)
    prior.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with runtime.Stopwatch() as clock:
        history = prior.fit(codes, codes, batch_size=batch_size, epochs=epochs,
                            validation_data=(validation_codes, validation_codes), verbose=verbose)
    return Run(history.history, epochs, clock.seconds, epochs * len(codes) / clock.seconds)
