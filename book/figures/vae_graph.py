"""Chapter 1: the VAE's computation, where the noise enters and where the gradient flows."""

from _diagram import arrow, box, encoder_decoder_graph, gradient_arrows, label


def draw(colors):
    code = {"y": 2.9, "text": "$z = \\mu + \\sigma \\odot \\varepsilon$", "edge": colors["accent"]}
    figure, ax, x, side, back = encoder_decoder_graph(colors, "$\\mu,\\ \\log\\sigma^2$", code, "KL to $N(0, I)$")
    noise = box(ax, side, 2.9, "$\\varepsilon \\sim N(0, I)$", colors, width=1.6, edge=colors["noise"])
    arrow(ax, noise, (x, 2.9), colors["noise"], shrink=52)
    # The ELBO's gradient runs back through z to mu and sigma (and on to the encoder), never into the noise.
    gradient_arrows(ax, colors, back, [(5.0, 4.0), (4.0, 2.9), (2.9, 1.8), (1.8, 0.6)])
    label(ax, back - 0.45, 2.9, "gradient of the ELBO", colors["gradient"], rotation=90, va="center")
    label(ax, side, 2.4, "noise from outside:\nno gradient needed", colors["noise"], size=10, ha="center", va="top")
    return figure
