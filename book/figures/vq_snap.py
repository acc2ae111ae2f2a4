"""Chapter 7: the VQ snap: an encoder vector, its nearest code, and the pulls of the two loss terms."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch


def draw(colors):
    codes = np.array([[-1.2, 0.9], [0.6, 1.2], [1.6, 0.2], [-0.2, -0.9], [-1.5, -0.6], [1.2, -1.0]])
    encoded = np.array([0.5, 0.3])
    nearest = codes[np.argmin(((codes - encoded) ** 2).sum(1))]
    figure, ax = plt.subplots(figsize=(5.8, 4.8))
    # Each code's cell: the points nearer to it than to any other code.
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 400), np.linspace(-1.3, 1.3, 260)), -1)
    owner = np.argmin(((grid[..., None, :] - codes) ** 2).sum(-1), -1)
    ax.contour(grid[..., 0], grid[..., 1], owner, levels=np.arange(len(codes)) + 0.5, colors=colors["muted"],
               linewidths=0.8)
    ax.scatter(*codes.T, marker="s", s=50, color=colors["accent"], label="codebook vectors $e_k$", zorder=3)
    ax.scatter(*encoded, s=70, color=colors["noise"], label="encoder output $z_e$", zorder=4)
    ax.scatter(*nearest, marker="s", s=120, facecolor="none", edgecolor=colors["text"], linewidth=1.6, zorder=4)

    def pull(start, end, color, text, offset):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, linewidth=1.6,
                                     shrinkA=7, shrinkB=7))
        ax.annotate(text, (start + end) / 2, xytext=offset, textcoords="offset points", color=color,
                    fontsize=11, ha="center")

    toward = nearest + 0.55 * (encoded - nearest)
    pull(nearest, toward, colors["gradient"], "codebook loss\nmoves $e_k$", (-80, -5))
    pull(encoded, encoded + 0.3 * (nearest - encoded), colors["noise"], "commitment (β)\nmoves $z_e$", (85, 5))
    ax.annotate("forward: the decoder sees $e_k$\nbackward: its gradient is copied to $z_e$",
                nearest, xytext=(-1.95, 1.45), color=colors["text"], fontsize=11,
                arrowprops=dict(arrowstyle="-|>", color=colors["line"]))
    ax.set_xlim(-2, 2)
    ax.set_ylim(-1.3, 1.75)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.legend(loc="lower center", ncol=2, bbox_to_anchor=(0.5, -0.12), fontsize=10, frameon=False, labelcolor=colors["text"])
    return figure
