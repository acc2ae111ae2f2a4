"""Chapter 1: the VAE's computation, where the noise enters and where the gradient flows."""

from _diagram import arrow, box, canvas, label


def draw(colors):
    figure, ax = canvas(6.7, 6.4)
    x, side, back = 3.0, 5.0, 1.3
    image = box(ax, x, 6.0, "image $x$", colors)
    encoder = box(ax, x, 5.0, "encoder $\\phi$", colors)
    params = box(ax, x, 4.0, "$\\mu,\\ \\log\\sigma^2$", colors)
    code = box(ax, x, 2.9, "$z = \\mu + \\sigma \\odot \\epsilon$", colors, edge=colors["accent"])
    noise = box(ax, side, 2.9, "$\\epsilon \\sim N(0, I)$", colors, width=1.6, edge=colors["noise"])
    kl = box(ax, side, 4.0, "KL to $N(0, I)$", colors, width=1.6)
    decoder = box(ax, x, 1.8, "decoder $\\theta$", colors)
    loss = box(ax, x, 0.6, "ELBO $= \\log p_\\theta(x \\mid z) - \\mathrm{KL}$", colors, width=3.4)
    for start, end in [(image, encoder), (encoder, params), (params, code), (code, decoder), (decoder, loss)]:
        arrow(ax, start, end, colors["line"])
    arrow(ax, noise, code, colors["noise"], shrink=52)
    arrow(ax, params, kl, colors["line"], shrink=52)
    arrow(ax, (side + 0.82, 4.0), (x + 1.72, 0.6), colors["line"], bend=-0.45, shrink=2)
    # The ELBO's gradient runs back through z to mu and sigma (and on to the encoder), never into the noise.
    for top, bottom in [(5.0, 4.0), (4.0, 2.9), (2.9, 1.8), (1.8, 0.6)]:
        arrow(ax, (back, bottom + 0.15), (back, top - 0.15), colors["gradient"], dashed=True, shrink=2)
    label(ax, back - 0.45, 2.9, "gradient of the ELBO", colors["gradient"], rotation=90, va="center")
    label(ax, side, 2.4, "noise from outside:\nno gradient needed", colors["noise"], size=10, ha="center", va="top")
    return figure
