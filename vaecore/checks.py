"""Argument checks, in one place, so that every bad input gets the same kind of message.

Each message names the argument, the value it got, and what to pass instead. Checks of images
(their layout is MNIST's) are in ``vaecore.data``. Checks of Python
values raise ``ValueError`` at once; checks of tensors inside a compiled step raise TensorFlow's
``InvalidArgumentError`` when the step runs.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf


def integer_at_least(name: str, value, minimum: int, hint: str = "") -> int:
    """``value`` as an int, if it is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}" + (f"; {hint}" if hint else ""))
    return int(value)


def number_in(name: str, value, low: float, high: float, hint: str = "", *, open_low=False, open_high=False) -> float:
    """``value`` as a float if it lies in the interval from ``low`` to ``high`` (NaN never does)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    above = number > low if open_low else number >= low
    below = number < high if open_high else number <= high
    if not (above and below):
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}" + (f"; {hint}" if hint else ""))
    return number


def temperature(value, minimum: float = 0.0, name: str = "temperature") -> float:
    """A finite temperature above ``minimum`` (or at least ``minimum`` when it is positive)."""
    hint = "use e.g. 1.0, or 0.5 for samples closer to one-hot" if minimum == 0.0 else f"use {minimum:g} or more"
    return number_in(name, value, minimum, math.inf, hint, open_low=minimum == 0.0, open_high=True)


def same_shape(name: str, value, other_name: str, other) -> None:
    """Refuse two arrays that must match element for element but have different shapes.

    Inside a compiled step only the known dimensions are compared (the batch size may be unknown).
    """
    shape, other_shape = (tf.TensorShape(v.shape if hasattr(v, "shape") else np.shape(v)) for v in (value, other))
    if not shape.is_compatible_with(other_shape):
        raise ValueError(f"{name} has shape {tuple(shape)} but {other_name} has shape {tuple(other_shape)}; "
                         "they must have the same shape")


def sizes(name: str, values, minimum: int = 1) -> tuple[int, ...]:
    """A tuple of integers each at least ``minimum`` (layer widths, grid sizes), or a clear error."""
    values = tuple(values)
    for value in values:
        integer_at_least(f"each of {name}", value, minimum, f"got {name}={values}")
    return values


def one_of(name: str, value, choices) -> None:
    """Refuse a value that is not among ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
