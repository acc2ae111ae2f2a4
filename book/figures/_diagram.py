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
