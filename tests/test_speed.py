"""vaecore.speed and vaecore.speed_by_model: the tables their printouts and appendix A show.

The timed runs themselves are exercised by appendix A (in smoke mode under the test suite);
timings are never asserted.
"""

import pytest

from vaecore import speed, speed_by_model, training


def test_pipeline_table_gives_medians_and_ratios_to_the_reference():
    # 600 images an epoch, two epochs per run: 600 * 2 / (6 + 6) = 100 images per second, and so on.
    runs = {path: [[6.0, 6.0], [2.0, 2.0], [3.0, 3.0]] for path in speed.PATHS}  # 1,000, 3,000, 2,000
    runs["vaecore"] = [[2.0, 1.0], [3.0, 3.0], [1.0, 1.0]]  # 4,000, 2,000, 6,000
    rows = {row["path"]: row for row in speed.table(runs, images=6000)}
    assert rows["reference (tutorial loop)"]["median"] == 2000.0
    assert rows["vaecore (model.fit)"]["ratio"] == 2.0
    # Thousands separators, so runs are parted by slashes rather than commas.
    assert rows["vaecore (model.fit)"]["runs"] == "4,000 / 2,000 / 6,000"
    assert rows["vaecore (model.fit)"]["rates"] == [4000.0, 2000.0, 6000.0]


def test_model_table_gives_each_path_its_median_spread_and_ratio_to_the_default():
    rates = {"ReinMax": {"default": [1e3, 3e3, 2e3], "compiled": [3500.0, 2500.0, 3e3]}}
    (row,) = speed_by_model.table(rates)
    assert (row["default"], row["compiled"], row["compiled ratio"]) == (2e3, 3e3, 1.5)
    assert row["compiled runs"] == "2,500–3,500" and row["default ratio"] == 1.0


def test_the_compiled_path_is_what_fit_chooses_and_the_default_is_keras_own():
    build = speed_by_model.MODELS["conv Gaussian"][0]
    model = build()
    assert speed_by_model.execution("compiled", model) == training.execution_for(model)
    assert speed_by_model.execution("default", model) == training.KERAS_DEFAULT


def test_the_benchmark_refuses_paths_without_the_default_first():
    with pytest.raises(SystemExit):
        speed_by_model.main(["--paths", "compiled", "default"])


def test_the_pipeline_benchmark_refuses_paths_without_the_reference_first():
    with pytest.raises(ValueError, match="paths must start with 'reference'"):
        speed.compare(paths=("vaecore", "reference"))
    with pytest.raises(ValueError, match="paths must start with 'reference'"):
        speed.compare(paths=("reference", "turbo"))


def fake_cpuinfo(monkeypatch, tmp_path, flags):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"model name\t: Some CPU\nflags\t\t: {flags}\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *a, **k: real_open(cpuinfo if path == "/proc/cpuinfo" else path,
                                                                          *a, **k))


def test_cpu_features_name_the_cpu_then_every_feature(monkeypatch, tmp_path):
    fake_cpuinfo(monkeypatch, tmp_path, "fpu avx2 fma avx512f")
    name, features = speed.cpu_features().split("\n")
    assert name == "CPU: Some CPU"
    assert features == "avx2 yes, fma yes, avx512f yes, avx512_bf16 no, amx_bf16 no, amx_tile no"


@pytest.mark.parametrize("flags, phrase", [
    ("fpu avx2 fma", "a CPU with neither avx512_bf16 nor AMX"),
    ("avx2 avx512f avx512_bf16", "a CPU with avx512_bf16 but without AMX"),
    ("avx512_bf16 amx_bf16 amx_tile", "a CPU with AMX"),
])
def test_the_page_says_what_the_cpu_offers_bfloat16(monkeypatch, tmp_path, flags, phrase):
    fake_cpuinfo(monkeypatch, tmp_path, flags)
    assert speed.bfloat16_hardware() == phrase


def test_the_epoch_clock_times_every_epoch_of_a_fit():
    import numpy as np
    import keras
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    clock = training.EpochClock()
    model.fit(np.zeros((8, 2)), np.zeros((8, 1)), epochs=3, verbose=0, callbacks=[clock])
    assert len(clock.seconds) == 3 and all(seconds > 0 for seconds in clock.seconds)
