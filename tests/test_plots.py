import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from vaecore import plots  # noqa: E402


def test_results_table_is_markdown_with_one_line_per_row():
    table = plots.results_table([{"model": "a", "elbo": -90.5}, {"model": "b", "elbo": -100.25}])
    assert table.data.splitlines() == ["| model | elbo |", "|---|---|", "| a | -90.5 |", "| b | -100.25 |"]
    with pytest.raises(ValueError, match="at least one row"):
        plots.results_table([])


def test_figures_have_one_panel_per_image():
    images = np.random.default_rng(0).random((10, 28, 28, 1))
    assert len([ax for ax in plots.image_grid(images, ncols=4).axes if ax.images]) == 10
    fig = plots.reconstructions(images[:3], {"again": images[:3]})
    assert len([ax for ax in fig.axes if ax.images]) == 6
    curves = plots.training_curves({"run": {"elbo": [-120.0, -100.0], "val_elbo": [-121.0, -101.0]}})
    assert len(curves.axes[0].lines) == 2
