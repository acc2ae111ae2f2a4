"""Run configuration: reproducible seeds, the smoke switch, and quiet intended retracing.

Smoke mode (``VAECORE_SMOKE=1``) exists so that CI can execute every notebook
quickly. It only shrinks the number of epochs and the amount of data; every
code path stays the same as in a full run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time

import keras

from vaecore import checks

SMOKE_VARIABLE = "VAECORE_SMOKE"
XLA_VARIABLE = "VAECORE_XLA"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def smoke_mode() -> bool:
    """Whether ``VAECORE_SMOKE`` asks for a shrunken run."""
    value = os.environ.get(SMOKE_VARIABLE, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{SMOKE_VARIABLE}={value!r} is not understood; "
        f"use 1 for a smoke run or 0 (or leave it unset) for a full run."
    )


def xla_allowed() -> bool:
    """Whether training may compile with XLA: yes unless ``VAECORE_XLA=0``.

    CI's smoke runs of the notebooks set it: compiling a model with XLA takes longer than a smoke
    run trains it (about 10 s a model on 2 cores). The unit tests train with XLA whatever it says.
    """
    value = os.environ.get(XLA_VARIABLE, "").strip().lower()
    if value in _TRUE or value == "":
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{XLA_VARIABLE}={value!r} is not understood; use 0 to train without XLA, "
                     "or 1 (or leave it unset) to let each model kind use it where it was measured faster.")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """What a chapter's run uses: its mode, its seed and how much data.

    ``train_size``/``test_size`` of ``None`` mean the whole split.
    """

    mode: str
    seed: int
    train_size: int | None
    test_size: int | None
    smoke_epochs: int = 1

    @property
    def smoke(self) -> bool:
        return self.mode == "smoke"

    def epochs(self, full: int) -> int:
        """The number of epochs to train: ``full`` in a full run, fewer in smoke mode."""
        if full < 1:
            raise ValueError(f"a run needs at least one epoch, got {full}")
        return min(full, self.smoke_epochs) if self.smoke else full

    def describe(self) -> str:
        size = lambda n: "all" if n is None else f"{n:,}"  # noqa: E731
        return (
            f"run mode: {self.mode} | seed: {self.seed} | "
            f"train images: {size(self.train_size)} | test images: {size(self.test_size)}"
        )


def configure(seed: int = 0, smoke_train_size: int = 2048, smoke_test_size: int = 1024) -> RunConfig:
    """Seed every random generator and return this run's configuration."""
    set_seed(seed)
    if smoke_mode():
        return RunConfig("smoke", seed, smoke_train_size, smoke_test_size)
    return RunConfig("full", seed, None, None)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow at once (``keras.utils.set_random_seed``)."""
    keras.utils.set_random_seed(checks.integer_at_least("seed", seed, 0))


class Stopwatch:
    """Wall-clock seconds of a ``with`` block: ``with Stopwatch() as clock: ...; clock.seconds``."""

    def __enter__(self) -> "Stopwatch":
        self._start = time.perf_counter()
        self.seconds = float("nan")
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = time.perf_counter() - self._start


class _DropRetracingWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def quiet_retracing():
    """Drop TensorFlow's warning about frequent retracing inside the block, and only that warning.

    Each new model's ``fit`` or ``evaluate`` traces a new step from the same Python code, so a chapter
    that trains several models trips TensorFlow's frequent-retracing detector: those traces are
    intended, and the warning would only clutter the page.
    """
    logger = logging.getLogger("tensorflow")  # what tf.get_logger() returns
    retracing = _DropRetracingWarnings()
    logger.addFilter(retracing)
    try:
        yield
    finally:
        logger.removeFilter(retracing)
