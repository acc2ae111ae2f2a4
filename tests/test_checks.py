"""vaecore.checks: each check passes good values through and names the argument, the value and the fix."""

import math

import numpy as np
import pytest

from vaecore import checks


def test_integer_at_least_accepts_numpy_integers_and_refuses_bools_floats_and_small_values():
    assert checks.integer_at_least("epochs", np.int64(3), 1) == 3
    for bad in (True, 2.0, 0, "3"):
        with pytest.raises(ValueError, match=f"epochs must be an integer of at least 1, got {bad!r}"):
            checks.integer_at_least("epochs", bad, 1)
    with pytest.raises(ValueError, match="; use more"):
        checks.integer_at_least("epochs", 0, 1, "use more")


@pytest.mark.parametrize("value, open_low, open_high, ok", [
    (0.0, False, False, True), (0.0, True, False, False), (1.0, False, True, False), (0.5, True, True, True),
    (math.nan, False, False, False), ("x", False, False, False),
])
def test_number_in_honours_open_and_closed_ends_and_refuses_nan(value, open_low, open_high, ok):
    if ok:
        assert checks.number_in("rate", value, 0.0, 1.0, open_low=open_low, open_high=open_high) == value
    else:
        interval = ("(" if open_low else "[") + "0, 1" + (")" if open_high else "]")
        with pytest.raises(ValueError, match=rf"rate must lie in \{interval[0]}0, 1\{interval[-1]}, got"):
            checks.number_in("rate", value, 0.0, 1.0, open_low=open_low, open_high=open_high)


def test_temperature_is_positive_or_at_least_a_positive_minimum():
    assert checks.temperature(0.1) == 0.1
    with pytest.raises(ValueError, match=r"temperature must lie in \(0, inf\), got 0"):
        checks.temperature(0)
    with pytest.raises(ValueError, match=r"tau must lie in \[1, inf\), got 0.5; use 1 or more"):
        checks.temperature(0.5, minimum=1.0, name="tau")


def test_same_shape_sizes_and_one_of():
    checks.same_shape("mean", np.zeros((2, 3)), "logvar", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"mean has shape \(2, 3\) but logvar has shape \(2, 4\)"):
        checks.same_shape("mean", np.zeros((2, 3)), "logvar", np.zeros((2, 4)))
    assert checks.sizes("hidden", [4, 8]) == (4, 8)
    with pytest.raises(ValueError, match=r"each of hidden must be an integer of at least 1, got 0; got hidden=\(4, 0\)"):
        checks.sizes("hidden", (4, 0))
    with pytest.raises(ValueError, match=r"mode must be one of \('a', 'b'\), got 'c'"):
        checks.one_of("mode", "c", ("a", "b"))
