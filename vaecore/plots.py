"""Figures the chapters share: image grids, reconstructions, training curves and latent maps."""

from __future__ import annotations

import html
import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.textpath import TextPath

# A figure 7 inches wide fills the book's text column (about 684 px) at matplotlib's 100 dpi: 12-point
# text is then about as large as the body text. The chapters' figures are drawn after importing this module.
plt.rcParams["font.size"] = 12
COLUMN_INCHES = 7.0


def image_grid(images, ncols: int = 8, title: str | None = None, scale: float = 1.0):
    """Show a batch of (n, 28, 28[, 1]) images in a grid without axes."""
    images = _image_batch(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image in zip(axes.flat, images):
        ax.imshow(image.reshape(image.shape[0], image.shape[1]), cmap="gray", vmin=0.0, vmax=1.0)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _image_batch(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 1):
        raise ValueError(f"images have shape {images.shape}, expected (n, height, width) or (n, height, width, 1)")
    return images


def reconstructions(originals, rows: dict[str, np.ndarray], scale: float = 1.0):
    """Originals on top, then one row per named set of reconstructions of the same images."""
    return labelled_rows({"input": originals, **rows}, scale)


def labelled_rows(rows: dict[str, np.ndarray], scale: float = 1.0, max_per_row: int = 8,
                  column_titles: list[str] | None = None):
    """One row of images per name, the name written left of its row; ``column_titles`` above the columns.

    More than ``max_per_row`` images wrap into blocks of equal width, each block repeating the names of the
    rows it shows (a row shorter than the others is named only where it has images), so that a strip of
    twelve digits stays large enough to read on a phone.
    """
    if max_per_row < 1:
        raise ValueError(f"max_per_row={max_per_row}: pass at least 1 image per row")
    rows = {name: np.asarray(images) for name, images in rows.items()}
    longest = max(len(images) for images in rows.values())
    if column_titles is not None and len(column_titles) != longest:
        raise ValueError(f"column_titles has {len(column_titles)} titles for rows of up to {longest} images: "
                         "pass one title per column")
    blocks = math.ceil(longest / max_per_row)
    ncols = math.ceil(longest / blocks)
    title_space = 0.3 * blocks if column_titles is not None else 0.0
    # The names take their own width, so that the images keep about `scale` inches each, as far as the
    # column allows: a figure wider than the column would be shrunk, its text with it.
    name_space = max(_text_inches(name) for name in rows) + 0.2
    if COLUMN_INCHES - name_space < 0.25 * ncols:
        raise ValueError(f"row names {name_space:.1f} inches wide leave no room for {ncols} images in the "
                         f"{COLUMN_INCHES}-inch column: shorten the names or lower max_per_row")
    scale = min(scale, (COLUMN_INCHES - name_space) / ncols)
    fig, axes = plt.subplots(blocks * len(rows), ncols,
                             figsize=(scale * ncols + name_space, scale * blocks * len(rows) + 0.3 + title_space),
                             squeeze=False)
    for block in range(blocks):
        columns = slice(block * ncols, (block + 1) * ncols)
        for offset, (name, images) in enumerate(rows.items()):
            axes_row = axes[block * len(rows) + offset]
            for ax in axes_row:
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_frame_on(False)
            shown = images[columns]
            for ax, image in zip(axes_row, shown):
                ax.imshow(image.reshape(image.shape[0], image.shape[1]), cmap="gray", vmin=0.0, vmax=1.0)
            if len(shown):
                axes_row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=12)
        if column_titles is not None:
            for ax, title in zip(axes[block * len(rows)], column_titles[columns]):
                ax.set_title(title, fontsize=12)
    fig.tight_layout(w_pad=0.2, h_pad=0.4)  # narrow gaps: the images, not the gaps, take the width
    return fig


def _text_inches(text: str, points: float = 12) -> float:
    """Width of one line of text at the given font size, in inches."""
    return TextPath((0, 0), text, size=points).get_extents().width / 72 if text else 0.0


def class_usage(usage, title: str | None = None, xlabel: str = "class", ylabel: str = "variable",
                colorbar: str = "share of test images"):
    """A heat map of how often each categorical variable (row) takes each class (column), or any such share table."""
    usage = np.asarray(usage)
    if usage.ndim != 2:
        raise ValueError(f"class_usage draws a (variables, classes) array, got shape {usage.shape}")
    with plt.rc_context({"font.size": 12}):  # as large as the body text at the column's width
        fig, ax = plt.subplots(figsize=(0.45 * usage.shape[1] + 2.4, 0.3 * usage.shape[0] + 1.4))
        image = ax.imshow(usage, cmap="viridis", vmin=0.0, aspect="auto")
        ax.set_xticks(range(usage.shape[1]))
        ax.set_yticks(range(usage.shape[0]))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        fig.colorbar(image, ax=ax, label=colorbar)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return fig


def code_shares(counts: dict[str, np.ndarray], title: str | None = None):
    """For each run, the share of all code uses that each code takes, codes sorted from most to least used."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, run_counts in counts.items():
        shares = np.sort(np.asarray(run_counts, dtype=float))[::-1] / np.sum(run_counts)
        ax.step(np.arange(1, len(shares) + 1), np.where(shares > 0, shares, np.nan), where="mid", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("code, from most to least used")
    ax.set_ylabel("share of all code uses")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def code_maps(images, codes, shares: dict[int, float], ncols: int = 4):
    """Images (dark strokes on white) with their grid of codes drawn over them: each cell whose code is
    one of ``shares``' keys is filled in that code's colour (the legend gives its share of all uses).

    A grid cell is drawn as the block of pixels at its stride; the window its vector sees is wider.
    """
    images, codes = _image_batch(images), np.asarray(codes)
    if codes.ndim != 3 or len(codes) != len(images):
        raise ValueError(f"codes have shape {codes.shape}, expected one (rows, columns) grid per image "
                         f"({len(images)} images)")
    if len(shares) > 10:
        raise ValueError(f"code_maps colours at most 10 codes, got {len(shares)}; pass the most used ones")
    colours = dict(zip(shares, plt.get_cmap("tab10").colors))
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.5 * nrows + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, grid in zip(axes.flat, images, codes):
        height, width = image.shape[:2]
        step_y, step_x = height / grid.shape[0], width / grid.shape[1]
        # Dark strokes on white, so that the colours over the background match the legend's.
        ax.imshow(image.reshape(height, width), cmap="gray_r", vmin=0.0, vmax=1.0, extent=(0, width, height, 0))
        for (row, column), code in np.ndenumerate(grid):
            if code in colours:
                ax.add_patch(plt.Rectangle((column * step_x, row * step_y), step_x, step_y,
                                           facecolor=colours[code], alpha=0.6, linewidth=0))
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=colours[code], alpha=0.6) for code in shares]
    labels = [f"code {code}: {share:.1%} of uses" for code, share in shares.items()]
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 2), frameon=False, fontsize=11)
    fig.tight_layout(rect=(0, 0.12 * (1 + (len(labels) > 2)) / nrows, 1, 1))
    return fig


def training_curves(histories: dict[str, dict[str, list[float]]], metric: str = "elbo"):
    """One line per run: training ``metric`` per epoch, and ``val_<metric>`` dashed if present."""
    entries = sum(1 + (f"val_{metric}" in history) for history in histories.values())
    fig, ax = _figure_with_legend_below(6, 3.5, entries)
    for name, history in histories.items():
        epochs = np.arange(1, len(history[metric]) + 1)
        (line,) = ax.plot(epochs, history[metric], label=f"{name} (train)")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "--", color=line.get_color(), label=f"{name} (test)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{metric} (nats per image)")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    _scale_to_later_epochs(ax, [values for history in histories.values() for key, values in history.items()
                                if key in (metric, f"val_{metric}")])
    ax.grid(alpha=0.3)
    _legend_below(fig, entries)
    return fig


def _legend_columns(entries: int) -> int:
    return 1 if entries < 3 else 2


def _figure_with_legend_below(width: float, height: float, entries: int):
    """A one-axes figure, taller by the rows of a legend below it; the constrained layout keeps the legend
    clear of the axis label."""
    rows = math.ceil(entries / _legend_columns(entries))
    return plt.subplots(figsize=(width, height + 0.3 * rows), layout="constrained")


def _legend_below(fig, entries: int) -> None:
    """The legend under the axes and their label, so that it never covers a curve."""
    fig.legend(loc="outside lower center", ncol=_legend_columns(entries))


def _scale_to_later_epochs(ax, series) -> None:
    """Fit the y-axis to epochs 2 on when epoch 1 lies further outside their range than that range is wide.

    A first epoch far from the rest would squeeze every later difference into a sliver of the axis; its
    points are then left off the axis, and a note in the corner says where they are.
    """
    later = [value for values in series for value in values[1:]]
    first = [values[0] for values in series if len(values) > 1]
    if not later:
        return
    low, high = min(later), max(later)
    span = high - low
    outside = [value for value in first if value < low - span or value > high + span]
    if not outside or span == 0:
        return
    bottom, top = low - 0.1 * span, high + 0.1 * span
    ax.set_ylim(bottom, top)
    off = [value for value in first if not bottom <= value <= top]  # every curve's point the axis leaves out
    shown = ", ".join(f"{value:.1f}" for value in sorted(off))
    ax.text(0.99, 0.03, f"epoch 1 off the axis: {shown}", transform=ax.transAxes, ha="right", va="bottom",
            fontsize=10, color="grey")


LINE_STYLES = ("-", "--", ":", "-.")


def curves(runs: dict, metric: str = "val_elbo", x: str = "epoch", ylabel: str | None = None):
    """One line per training run: ``metric`` from its history against the epoch or the training seconds.

    ``runs`` maps a name, or a ``(name, seed)`` pair, to a ``training.Run``: runs of one name share a
    colour, and its seeds get solid, dashed, dotted lines. With ``x="seconds"`` each epoch is placed at
    its share of the run's wall-clock time (the history keeps no per-epoch times).
    """
    if x not in ("epoch", "seconds"):
        raise ValueError(f"x={x!r}: use 'epoch' or 'seconds'")
    if not runs:
        raise ValueError("runs is empty: pass at least one training.Run")
    names = list(dict.fromkeys(key[0] if isinstance(key, tuple) else key for key in runs))
    fig, ax = _figure_with_legend_below(7, 3.8, len(names))
    seeds = list(dict.fromkeys(key[1] for key in runs if isinstance(key, tuple)))
    for key, run in runs.items():
        name, seed = key if isinstance(key, tuple) else (key, None)
        if metric not in run.history:
            raise KeyError(f"run {key!r} has no {metric!r} in its history; it has {sorted(run.history)}")
        values = run.history[metric]
        epochs = np.arange(1, len(values) + 1)
        position = epochs if x == "epoch" else epochs * run.seconds / run.epochs
        style = LINE_STYLES[seeds.index(seed) % len(LINE_STYLES)] if seed is not None else "-"
        first = seed is None or seeds.index(seed) == 0
        ax.plot(position, values, style, marker="." if len(values) < 20 else None,
                color=f"C{names.index(name)}", label=name if first else None)
    ax.set(xlabel="epoch" if x == "epoch" else "training time (s)",
           ylabel=ylabel or f"{metric} (nats per image)")
    if x == "epoch":
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    _scale_to_later_epochs(ax, [run.history[metric] for run in runs.values()])
    ax.grid(alpha=0.3)
    _legend_below(fig, len(names))
    return fig


def latent_usage(usages: dict, threshold: float = 0.01, kl_threshold: float = 0.1):
    """For each model, every coordinate of its Gaussian code sorted from most to least used: the average KL
    to the prior (top, with a line at ``kl_threshold`` nats) and the variance of the posterior mean over
    images (bottom, log scale, with Burda et al.'s activity ``threshold``). ``usages`` maps a name to an
    ``evaluation.LatentUsage``."""
    fig, (kl_ax, var_ax) = plt.subplots(2, 1, figsize=(6, 5.6), sharex=True)
    for name, usage in usages.items():
        order = np.argsort(usage.kl)[::-1]
        rank = np.arange(1, len(order) + 1)
        kl_ax.plot(rank, usage.kl[order], marker=".", label=name)
        var_ax.plot(rank, np.maximum(usage.mean_variance[order], 1e-6), marker=".")
    kl_ax.axhline(kl_threshold, color="grey", linestyle="--", label=f"{kl_threshold:g} nats")
    var_ax.axhline(threshold, color="grey", linestyle=":", label=f"active above {threshold:g}")
    var_ax.set_yscale("log")
    kl_ax.set_ylabel("average KL (nats)")
    var_ax.set_ylabel("variance of the\nposterior mean")
    var_ax.set_xlabel("coordinate, from most to least KL")
    for ax in (kl_ax, var_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def latent_scatter(codes, labels, title: str | None = None):
    """Two-dimensional codes as points coloured by their digit label, with a legend."""
    codes, labels = np.asarray(codes), np.asarray(labels)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"latent_scatter draws 2-dimensional codes, got shape {codes.shape}")
    fig, ax = plt.subplots(figsize=(6.2, 5))
    # One scatter in a shuffled order: drawn class by class, the last class would cover the others.
    order = np.random.default_rng(0).permutation(len(labels))
    ax.scatter(*codes[order].T, s=3, alpha=0.6, c=plt.cm.tab10(labels[order].astype(int) % 10))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    handles = [Line2D([], [], marker="o", linestyle="", color=plt.cm.tab10(int(digit) % 10), label=str(digit))
               for digit in np.unique(labels)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="digit")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def latent_manifold(images, values, title: str | None = None):
    """Images decoded on a square grid of 2-d codes, tiled into one picture with the codes on the axes.

    ``images`` come row by row from the top (largest z_2) and left to right (growing z_1), one per
    pair of ``values``.
    """
    images, n = np.asarray(images), len(values)
    if len(images) != n * n:
        raise ValueError(f"a {n}x{n} grid needs {n * n} images, got {len(images)}")
    side = images.shape[1]
    tiles = images.reshape(n, n, side, side).transpose(0, 2, 1, 3).reshape(n * side, n * side)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(tiles, cmap="gray", vmin=0.0, vmax=1.0)
    centres = side * np.arange(n) + side / 2 - 0.5
    labels = [f"{v:.1f}" for v in values]
    ax.set_xticks(centres, labels)
    ax.set_yticks(centres, labels[::-1])
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


class ResultsTable:
    """Rows of same-keyed dicts shown as an HTML ``<table>`` by Jupyter and by the book, as aligned text elsewhere.

    HTML, not Markdown: the book renders a cell's Markdown output without table support.
    """

    def __init__(self, rows: list[dict]):
        if not rows:
            raise ValueError("results_table needs at least one row, got none")
        self.columns = list(rows[0])
        for row in rows:
            if list(row) != self.columns:
                raise ValueError(f"every row needs the columns {self.columns}, got {list(row)}")
        self.rows = [[str(row[column]) for column in self.columns] for row in rows]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(column)}</th>" for column in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                       for row in self.rows)
        return f'<table class="table results"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __repr__(self) -> str:
        widths = [max(len(cell) for cell in column) for column in zip(self.columns, *self.rows)]
        lines = [self.columns, ["-" * width for width in widths], *self.rows]
        return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)


def results_table(rows: list[dict]) -> ResultsTable:
    """A results table from a list of same-keyed dicts (one dict per row)."""
    return ResultsTable(rows)
