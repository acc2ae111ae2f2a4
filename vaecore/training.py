"""Training a VAE the same way in every chapter: ``model.fit`` on a cached pipeline, timed."""

from __future__ import annotations

import math
from typing import NamedTuple

import keras
import numpy as np

from vaecore import data, runtime


class Run(NamedTuple):
    """What a training run leaves behind: its per-epoch ``history`` and its wall-clock cost."""

    history: dict[str, list[float]]
    epochs: int
    seconds: float
    images_per_second: float


def cosine_decay(initial: float, epochs: int, train_size: int, batch_size: int, floor: float = 0.05):
    """A learning rate that falls from ``initial`` to ``floor * initial`` along a half cosine over the run."""
    steps = epochs * math.ceil(train_size / batch_size)
    return keras.optimizers.schedules.CosineDecay(initial, decay_steps=steps, alpha=floor)


def fit(vae: keras.Model, images: np.ndarray, *, learning_rate, epochs: int, batch_size: int = 128,
        validation: np.ndarray | None = None, seed: int = 0, verbose: int = 1) -> Run:
    """Compile ``vae`` with Adam at ``learning_rate`` (a number or a schedule) and train it.

    ``images`` are intensities in [0, 1] (the model binarizes each batch itself); ``validation``,
    if given, are binary test images scored after each epoch (``val_elbo`` in the history). The
    throughput counts training images only.
    """
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    batches = data.train_dataset(images, batch_size=batch_size, seed=seed)
    validation_data = None if validation is None else data.eval_dataset(validation)
    with runtime.Stopwatch() as clock:
        history = vae.fit(batches, epochs=epochs, validation_data=validation_data, verbose=verbose)
    return Run(history.history, epochs, clock.seconds, epochs * len(images) / clock.seconds)
