import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402

from vaecore import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_results_table_is_an_html_table_with_one_row_per_result():
    table = plots.results_table([{"model": "a<b", "elbo": -90.5}, {"model": "c", "elbo": -100.25}])
    html = table._repr_html_()
    assert html.startswith("<table") and html.count("<tr>") == 3 and html.count("<th>") == 2
    assert "<td>a&lt;b</td><td>-90.5</td>" in html
    assert repr(table).splitlines() == ["model  elbo", "-----  -------", "a<b    -90.5", "c      -100.25"]
    with pytest.raises(ValueError, match="at least one row"):
        plots.results_table([])
    with pytest.raises(ValueError, match="every row needs the columns"):
        plots.results_table([{"a": 1}, {"b": 2}])


def test_figures_have_one_panel_per_image():
    images = np.random.default_rng(0).random((10, 28, 28, 1))
    assert len([ax for ax in plots.image_grid(images, ncols=4).axes if ax.images]) == 10
    fig = plots.reconstructions(images[:3], {"again": images[:3]})
    assert len([ax for ax in fig.axes if ax.images]) == 6
    curves = plots.training_curves({"run": {"elbo": [-120.0, -100.0], "val_elbo": [-121.0, -101.0]}})
    assert len(curves.axes[0].lines) == 2


def test_latent_scatter_mixes_the_labels_draw_order_and_names_each_in_the_legend():
    codes = np.random.default_rng(0).normal(size=(300, 2))
    labels = np.repeat(np.arange(3), 100)  # sorted: drawn in this order, label 2 would cover the rest
    fig = plots.latent_scatter(codes, labels)
    (points,) = fig.axes[0].collections
    drawn = points.get_offsets()
    last_drawn = [int(np.flatnonzero((codes == point).all(axis=1))[0]) for point in drawn[-30:]]
    assert len(set(labels[last_drawn])) == 3  # the last points drawn come from every label
    colours = {tuple(np.round(c, 3)) for c in points.get_facecolors()}
    assert len(colours) == 3
    assert [text.get_text() for text in fig.axes[0].get_legend().get_texts()] == ["0", "1", "2"]
    with pytest.raises(ValueError, match="2-dimensional codes"):
        plots.latent_scatter(np.zeros((5, 3)), np.zeros(5))


def test_latent_manifold_tiles_the_grid_in_reading_order():
    images = np.stack([np.full((28, 28, 1), i / 8.0) for i in range(9)])
    fig = plots.latent_manifold(images, [-1.0, 0.0, 1.0])
    tiles = fig.axes[0].images[0].get_array()
    assert tiles.shape == (84, 84)
    assert tiles[0, 0] == 0.0 and tiles[0, 28] == 1 / 8 and tiles[28, 0] == 3 / 8 and tiles[83, 83] == 1.0
    with pytest.raises(ValueError, match="3x3 grid needs 9 images"):
        plots.latent_manifold(images[:8], [-1.0, 0.0, 1.0])


def test_labelled_rows_and_class_usage():
    images = np.random.default_rng(0).random((4, 28, 28, 1))
    fig = plots.labelled_rows({"a": images, "b": images[:2]})
    assert len([ax for ax in fig.axes if ax.images]) == 6
    usage = np.full((20, 10), 0.1)
    assert plots.class_usage(usage).axes[0].images[0].get_array().shape == (20, 10)
    with pytest.raises(ValueError, match=r"\(variables, classes\) array, got shape \(10,\)"):
        plots.class_usage(np.ones(10))


def test_labelled_rows_name_a_short_row_only_where_it_has_images_and_title_the_columns():
    images = np.random.default_rng(0).random((10, 28, 28, 1))
    fig = plots.labelled_rows({"input": images[:1], "variable 3": images}, max_per_row=5,
                              column_titles=[str(k) for k in range(10)])
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["input", "variable 3", "variable 3"]  # two blocks of 5; the input has no second block
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [str(k) for k in range(10)]
    with pytest.raises(ValueError, match="column_titles has 3 titles for rows of up to 10 images"):
        plots.labelled_rows({"a": images}, column_titles=["0", "1", "2"])


def test_curves_draw_one_line_per_run_with_a_colour_per_name_and_a_style_per_seed():
    from vaecore.training import Run

    def run(values, seconds):
        return Run({"val_elbo": values}, len(values), seconds, 1.0)

    runs = {("a", 0): run([-120.0, -100.0], 10.0), ("a", 1): run([-121.0, -99.0], 20.0),
            ("b", 0): run([-130.0, -110.0], 4.0)}
    lines = plots.curves(runs).axes[0].lines
    assert [line.get_linestyle() for line in lines] == ["-", "--", "-"]
    assert lines[0].get_color() == lines[1].get_color() != lines[2].get_color()
    assert list(lines[1].get_xdata()) == [1, 2]
    seconds = plots.curves(runs, x="seconds").axes[0].lines
    assert list(seconds[1].get_xdata()) == [10.0, 20.0] and list(seconds[2].get_xdata()) == [2.0, 4.0]
    with pytest.raises(ValueError, match="x='steps'"):
        plots.curves(runs, x="steps")
    with pytest.raises(KeyError, match="no 'kl'"):
        plots.curves(runs, metric="kl")


def test_curves_fit_the_axis_to_later_epochs_only_when_epoch_1_would_stretch_it():
    far = {"elbo": [-160.0, -100.0, -96.0, -95.0], "val_elbo": [-150.0, -99.0, -97.0, -94.0]}
    ax = plots.training_curves({"run": far}).axes[0]
    low, high = ax.get_ylim()
    assert -160.0 < -150.0 < low < -99.0 < -94.0 < high
    assert [text.get_text() for text in ax.texts] == ["epoch 1 off the axis: -160.0, -150.0"]
    # the note names every epoch-1 point the axis leaves out, not only the ones that made it rescale
    mixed = {"elbo": [-160.0, -100.0, -96.0, -95.0], "val_elbo": [-101.5, -99.0, -97.0, -94.0]}
    ax = plots.training_curves({"run": mixed}).axes[0]
    assert ax.get_ylim()[0] > -101.5
    assert [text.get_text() for text in ax.texts] == ["epoch 1 off the axis: -160.0, -101.5"]
    near = {"elbo": [-104.0, -100.0, -96.0, -95.0]}  # 1 nat outside a 5-nat range: left as it is
    ax = plots.training_curves({"run": near}).axes[0]
    assert ax.get_ylim()[0] < -104.0 and not ax.texts
    from vaecore.training import Run

    ax = plots.curves({"a": Run({"val_elbo": far["elbo"]}, 4, 1.0, 1.0)}).axes[0]
    assert -160.0 < ax.get_ylim()[0] and ax.texts


def test_the_legend_sits_below_the_axis_label_however_many_entries_it_has():
    from vaecore.training import Run

    for names in (["a"], [f"estimator {i}" for i in range(7)]):
        runs = {name: Run({"val_elbo": [-200.0, -150.0, -140.0]}, 3, 1.0, 1.0) for name in names}
        fig = plots.curves(runs)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = fig.legends[0].get_window_extent(renderer)
        label = fig.axes[0].xaxis.label.get_window_extent(renderer)
        assert legend.y1 <= label.y0, (names, legend, label)
        assert len(fig.legends[0].get_texts()) == len(names)


def test_latent_usage_sorts_each_model_by_kl_and_draws_the_threshold():
    from types import SimpleNamespace

    usage = SimpleNamespace(kl=np.array([0.0, 2.0, 1.0]), mean_variance=np.array([0.0, 0.5, 0.2]))
    kl_ax, var_ax = plots.latent_usage({"a": usage, "b": usage}).axes
    assert len(kl_ax.lines) == 3 and len(var_ax.lines) == 3  # two models, and each panel's threshold
    np.testing.assert_array_equal(kl_ax.lines[0].get_ydata(), [2.0, 1.0, 0.0])
    assert list(kl_ax.lines[2].get_ydata()) == [0.1, 0.1]
    np.testing.assert_array_equal(var_ax.lines[0].get_ydata(), [0.5, 0.2, 1e-6])  # zero drawn at the floor


def test_code_maps_fill_exactly_the_cells_of_the_named_codes():
    codes = np.random.default_rng(0).integers(0, 5, size=(3, 7, 7))
    fig = plots.code_maps(np.zeros((3, 28, 28, 1)), codes, {0: 0.3, 2: 0.1})
    for ax, grid in zip(fig.axes, codes):
        corners = sorted((patch.get_y() / 4, patch.get_x() / 4) for patch in ax.patches)
        assert corners == sorted(map(tuple, np.argwhere(np.isin(grid, [0, 2])).astype(float)))
    assert [text.get_text() for text in fig.legends[0].texts] == ["code 0: 30.0% of uses", "code 2: 10.0% of uses"]
    with pytest.raises(ValueError, match=r"codes have shape \(2, 7, 7\), expected one .* \(3 images\)"):
        plots.code_maps(np.zeros((3, 28, 28)), codes[:2], {0: 0.3})


def test_labelled_rows_wrap_long_strips_into_blocks_that_repeat_the_names():
    images = np.random.default_rng(0).random((12, 28, 28, 1))
    fig = plots.labelled_rows({"input": images, "model": images}, max_per_row=8)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 24 and len(fig.axes) == 2 * 2 * 6  # two blocks of six columns
    names = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert names == ["input", "model", "input", "model"]
    second_block_first_image = fig.axes[2 * 6].images[0].get_array()
    np.testing.assert_array_equal(second_block_first_image, images[6, :, :, 0])
    with pytest.raises(ValueError, match="max_per_row=0"):
        plots.labelled_rows({"input": images}, max_per_row=0)


def test_labelled_rows_keep_the_images_at_their_scale_beside_long_names():
    images = np.random.default_rng(0).random((6, 28, 28, 1))
    fig = plots.labelled_rows({"conv VAE, prior": images, "VQ-VAE, PixelCNN": images}, scale=0.9)
    width = fig.get_size_inches()[0]
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.get_position(original=False).width * width > 0.78  # the image as drawn, in inches
    labels = [ax.yaxis.label.get_window_extent() for ax in fig.axes if ax.get_ylabel()]
    assert min(box.x0 for box in labels) >= 0  # every name inside the figure
    wide = plots.labelled_rows({"reconstruction": np.repeat(images, 2, axis=0)[:8]})
    assert wide.get_size_inches()[0] <= plots.COLUMN_INCHES  # shrunk to the column, not beyond it
    with pytest.raises(ValueError, match="leave no room for 8 images"):
        plots.labelled_rows({"a row name so long that it leaves no room at all for its images": images[:1].repeat(8, 0)})
