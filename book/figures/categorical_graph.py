"""Chapter 3: the same computation with a sampled class; the gradient stops at the sample."""

from _diagram import arrow, box, canvas, label


def draw(colors):
    figure, ax = canvas(6.7, 6.4)
    x, side, back = 3.0, 5.0, 1.3
    image = box(ax, x, 6.0, "image $x$", colors)
    encoder = box(ax, x, 5.0, "encoder $\\phi$", colors)
    probs = box(ax, x, 4.0, "$q = \\mathrm{softmax}(\\ell)$", colors)
    code = box(ax, x, 2.9, "class $k \\sim q$, one-hot $z$", colors, edge=colors["gradient"], width=2.6)
    kl = box(ax, side, 4.0, "KL to uniform", colors, width=1.6)
    decoder = box(ax, x, 1.8, "decoder $\\theta$", colors)
    loss = box(ax, x, 0.6, "ELBO $= \\log p_\\theta(x \\mid z) - \\mathrm{KL}$", colors, width=3.4)
    for start, end in [(image, encoder), (encoder, probs), (probs, code), (code, decoder), (decoder, loss)]:
        arrow(ax, start, end, colors["line"])
    arrow(ax, probs, kl, colors["line"], shrink=52)
    arrow(ax, (side + 0.82, 4.0), (x + 1.72, 0.6), colors["line"], bend=-0.45, shrink=2)
    # Gradient flows from the loss back to the decoder and stops at the sampled integer.
    for top, bottom in [(2.9, 1.8), (1.8, 0.6)]:
        arrow(ax, (back, bottom + 0.15), (back, top - 0.15), colors["gradient"], dashed=True, shrink=2)
    ax.text(back, 3.45, "×", color=colors["gradient"], fontsize=26, ha="center", va="center")
    label(ax, back - 0.45, 1.7, "gradient", colors["gradient"], rotation=90, va="center")
    label(ax, x + 1.45, 3.35, "an integer: no gradient\nreaches $\\ell$ through it", colors["gradient"], size=10,
          va="bottom")
    label(ax, side, 4.45, "the KL's gradient\nstill reaches $\\ell$", colors["muted"], size=10, ha="center",
          va="bottom")
    return figure
