"""vaecore.speed and vaecore.speed_by_model: the tables their printouts and appendix A show.

The timed runs themselves are exercised by appendix A (in smoke mode under the test suite);
timings are never asserted.
"""

import pytest

from vaecore import speed, speed_by_model, training


def test_pipeline_table_gives_medians_and_ratios_to_the_reference():
    rates = {path: [100.0, 300.0, 200.0] for path in speed.PATHS} | {"vaecore": [500.0, 400.0, 600.0]}
    rows = {row["path"]: row for row in speed.table(rates)}
    assert rows["reference (tutorial loop)"]["median"] == 200.0
    assert rows["vaecore (model.fit)"]["ratio"] == 2.5
    assert rows["vaecore (model.fit)"]["runs"] == "500, 400, 600"


def test_model_table_gives_each_path_its_median_spread_and_ratio_to_the_default():
    rates = {"ReinMax": {"default": [10.0, 30.0, 20.0], "compiled": [35.0, 25.0, 30.0]}}
    (row,) = speed_by_model.table(rates)
    assert (row["default"], row["compiled"], row["compiled ratio"]) == (20.0, 30.0, 1.5)
    assert row["compiled runs"] == "25-35" and row["default ratio"] == 1.0


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
