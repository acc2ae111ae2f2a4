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
