"""Boxes and arrows for the book's diagrams (not a figure itself: the name starts with _)."""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


def canvas(width, height):
    """A figure of ``width`` x ``height`` inches whose data coordinates are inches, without axes."""
    figure = plt.figure(figsize=(width, height))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    return figure, ax


def box(ax, x, y, text, colors, width=2.2, height=0.55, edge=None, face=None, size=12):
    """A rounded box centred at (x, y) holding ``text``; returns its centre."""
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.12", linewidth=1.4,
                                edgecolor=edge or colors["line"], facecolor=face or colors["box"]))
    ax.text(x, y, text, ha="center", va="center", color=colors["text"], fontsize=size)
    return x, y


def arrow(ax, start, end, color, dashed=False, width=1.6, shrink=16, bend=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, linewidth=width,
                                 linestyle=(0, (4, 3)) if dashed else "-", shrinkA=shrink, shrinkB=shrink,
                                 connectionstyle=f"arc3,rad={bend}"))


def label(ax, x, y, text, color, size=11, **kwargs):
    ax.text(x, y, text, color=color, fontsize=size, **kwargs)


def encoder_decoder_graph(colors, parameters: str, code: dict, kl: str):
    """Chapters 1 and 3's shared drawing: image, encoder, ``parameters``, the ``code`` box (``text`` and box
    options), decoder and ELBO in one column, the KL box beside the parameters. Returns the figure, its axes
    and the column's x, the side column's x and the gradient column's x."""
    figure, ax = canvas(6.7, 6.4)
    x, side, back = 3.0, 5.0, 1.3
    column = [box(ax, x, 6.0, "image $x$", colors), box(ax, x, 5.0, "encoder $\\phi$", colors),
              box(ax, x, 4.0, parameters, colors), box(ax, x, colors=colors, **code),
              box(ax, x, 1.8, "decoder $\\theta$", colors),
              box(ax, x, 0.6, "ELBO $= \\log p_\\theta(x \\mid z) - \\mathrm{KL}$", colors, width=3.4)]
    for start, end in zip(column, column[1:]):
        arrow(ax, start, end, colors["line"])
    arrow(ax, column[2], box(ax, side, 4.0, kl, colors, width=1.6), colors["line"], shrink=52)
    arrow(ax, (side + 0.82, 4.0), (x + 1.72, 0.6), colors["line"], bend=-0.45, shrink=2)
    return figure, ax, x, side, back


def gradient_arrows(ax, colors, x, rows):
    """Dashed upward arrows at ``x`` between consecutive rows (pairs of (top, bottom) heights)."""
    for top, bottom in rows:
        arrow(ax, (x, bottom + 0.15), (x, top - 0.15), colors["gradient"], dashed=True, shrink=2)
