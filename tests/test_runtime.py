import logging

import pytest

from vaecore import runtime


@pytest.mark.parametrize("value, expected", [("", False), ("0", False), ("1", True), ("true", True), ("Yes", True)])
def test_smoke_switch(monkeypatch, value, expected):
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, value)
    assert runtime.smoke_mode() is expected


def test_unknown_smoke_value_is_an_error(monkeypatch):
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "maybe")
    with pytest.raises(ValueError, match="VAECORE_SMOKE='maybe'"):
        runtime.smoke_mode()


def test_smoke_mode_shrinks_epochs_and_data_only(monkeypatch):
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "1")
    smoke = runtime.configure(seed=3)
    monkeypatch.setenv(runtime.SMOKE_VARIABLE, "0")
    full = runtime.configure(seed=3)
    assert (smoke.mode, smoke.epochs(30), smoke.train_size) == ("smoke", 1, 2048)
    assert (full.mode, full.epochs(30), full.train_size, full.test_size) == ("full", 30, None, None)
    assert "run mode: full" in full.describe()
    with pytest.raises(ValueError, match="at least one epoch"):
        full.epochs(0)


def retrace_seven_times():
    """Call one tf.function with seven input shapes: TensorFlow warns about frequent retracing."""
    import tensorflow as tf

    double = tf.function(lambda x: 2 * x)
    for n in range(1, 8):
        double(tf.zeros([n]))


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_quiet_retracing_drops_the_retracing_warning_and_only_it():
    logger = logging.getLogger("tensorflow")
    records = Records()
    logger.addHandler(records)
    try:
        retrace_seven_times()
        loud = list(records.messages)
        records.messages.clear()
        with runtime.quiet_retracing():
            retrace_seven_times()
            logger.warning("another warning")
        quiet = list(records.messages)
    finally:
        logger.removeHandler(records)
    assert any("triggered tf.function retracing" in message for message in loud)
    assert quiet == ["another warning"]
    assert logger.filters == []
