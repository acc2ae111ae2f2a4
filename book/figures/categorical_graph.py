"""Chapter 3: the same computation with a sampled class; the gradient stops at the sample."""

from _diagram import encoder_decoder_graph, gradient_arrows, label


def draw(colors):
    code = {"y": 2.9, "text": "class $k \\sim q$, one-hot $z$", "edge": colors["gradient"], "width": 2.6}
    figure, ax, x, side, back = encoder_decoder_graph(colors, "$q = \\mathrm{softmax}(\\ell)$", code,
                                                      "KL to uniform")
    # The gradient flows from the loss back to the decoder and stops at the sampled integer.
    gradient_arrows(ax, colors, back, [(2.9, 1.8), (1.8, 0.6)])
    ax.text(back, 3.45, "×", color=colors["gradient"], fontsize=26, ha="center", va="center")
    label(ax, back - 0.45, 1.7, "gradient", colors["gradient"], rotation=90, va="center")
    # Beside the cut, not beside the KL box, so that it reads as a note about the sampled class.
    label(ax, back - 0.3, 3.45, "an integer:\nno gradient\nreaches $\\ell$", colors["gradient"], size=10,
          ha="right", va="center")
    label(ax, side, 4.45, "the KL's gradient\nstill reaches $\\ell$", colors["muted"], size=10, ha="center",
          va="bottom")
    return figure
