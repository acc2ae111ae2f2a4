"""Chapters 4 and 5: Gumbel-Softmax samples of three classes on the simplex, at four temperatures."""

import matplotlib.pyplot as plt
import numpy as np

PROBABILITIES = np.array([0.6, 0.3, 0.1])
TEMPERATURES = (0.1, 0.5, 1.0, 5.0)
CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])  # class 0, 1, 2


def draw(colors):
    rng = np.random.default_rng(0)
    gumbel = -np.log(-np.log(rng.uniform(1e-12, 1.0, (600, 3))))
    figure, axes = plt.subplots(2, 2, figsize=(5.6, 6.0))
    for ax, tau in zip(axes.flat, TEMPERATURES):
        logits = (np.log(PROBABILITIES) + gumbel) / tau
        samples = np.exp(logits - logits.max(1, keepdims=True))
        samples /= samples.sum(1, keepdims=True)
        points = samples @ CORNERS
        ax.fill(*CORNERS.T, facecolor=colors["box"], edgecolor=colors["line"], linewidth=1.2)
        ax.scatter(*points.T, s=6, color=colors["accent"], alpha=0.5, linewidths=0)
        ax.scatter(*(PROBABILITIES @ CORNERS), s=60, marker="*", color=colors["gradient"], zorder=3)
        for corner, name, offset in zip(CORNERS, ("0", "1", "2"), ((-0.07, -0.07), (0.03, -0.07), (-0.02, 0.04))):
            ax.text(corner[0] + offset[0], corner[1] + offset[1], name, fontsize=12, color=colors["text"])
        ax.set_title(f"τ = {tau:g}", fontsize=12, color=colors["text"], pad=16)
        ax.set_xlim(-0.12, 1.12)
        ax.set_ylim(-0.12, 0.95)
        ax.set_aspect("equal")
        ax.axis("off")
    figure.text(0.5, 0.01, "★ the class probabilities (0.6, 0.3, 0.1); corners: one-hot codes",
                ha="center", fontsize=11, color=colors["text"])
    figure.subplots_adjust(wspace=0.1, hspace=0.3, bottom=0.08)
    return figure
