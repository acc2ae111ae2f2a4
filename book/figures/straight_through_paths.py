"""Chapter 6: what each straight-through estimator sends forward and what gradient it sends back.

One narrow column (each estimator's forward and backward pass stacked), so that the text keeps its size on
a phone's screen instead of being scaled down with a wide figure.
"""

from _diagram import box, canvas, label

ROWS = [
    ("straight-through", "one-hot sample $z \\sim \\pi_0$", "$J(\\pi_0)\\, g$"),
    ("straight-through Gumbel-Softmax", "$z = \\mathrm{onehot}(\\arg\\max(\\ell + \\gamma))$",
     "$\\tau^{-1} J(\\mathrm{softmax}((\\ell + \\gamma) / \\tau))\\, g$"),
    ("ReinMax", "one-hot sample $z \\sim \\pi_0$", "$2 J(\\pi_1)\\, g - \\frac{1}{2} J(\\pi_0)\\, g$"),
]


def draw(colors):
    figure, ax = canvas(4.2, 6.9)
    for row, (name, forward, backward) in enumerate(ROWS):
        top = 6.6 - 1.95 * row
        label(ax, 0.05, top, name, colors["text"], size=12, va="center", fontweight="bold")
        label(ax, 0.05, top - 0.5, "forward", colors["accent"], size=10, va="center")
        box(ax, 2.55, top - 0.5, forward, colors, width=3.2, height=0.55, edge=colors["accent"], size=10)
        label(ax, 0.05, top - 1.2, "backward", colors["gradient"], size=10, va="center")
        box(ax, 2.55, top - 1.2, backward, colors, width=3.2, height=0.65, edge=colors["gradient"], size=10)
    label(ax, 0.05, 0.05, "$g$: the gradient arriving at $z$;  $\\gamma$: Gumbel noise;\n"
          "$\\pi_0 = \\mathrm{softmax}(\\ell)$;  $\\pi_1 = (\\mathrm{softmax}(\\ell / \\tau) + z)/2$;\n"
          "$J(p) = \\mathrm{diag}(p) - p p^\\top$, the softmax's Jacobian", colors["text"], size=10)
    return figure
