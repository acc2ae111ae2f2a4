"""Chapter 6: what each straight-through estimator sends forward and what gradient it sends back."""

from _diagram import box, canvas, label

ROWS = [
    ("straight-through", "one-hot sample $D \\sim q$", "$J(\\pi_0)\\, g$"),
    ("straight-through\nGumbel-Softmax", "$D = \\mathrm{onehot}(\\arg\\max(\\ell + G))$",
     "$\\frac{1}{\\tau} J(\\mathrm{softmax}(\\frac{\\ell + G}{\\tau}))\\, g$"),
    ("ReinMax", "one-hot sample $D \\sim q$", "$2 J(\\pi_1)\\, g - \\frac{1}{2} J(\\pi_0)\\, g$"),
]


def draw(colors):
    figure, ax = canvas(6.6, 4.6)
    label(ax, 2.55, 4.25, "forward: what the decoder sees", colors["accent"], size=12, ha="center")
    label(ax, 5.3, 4.25, "backward: $\\partial/\\partial\\ell$", colors["gradient"], size=12, ha="center")
    for row, (name, forward, backward) in enumerate(ROWS):
        y = 3.5 - 1.2 * row
        label(ax, 0.1, y, name, colors["text"], size=12, va="center", fontweight="bold")
        box(ax, 3.05, y, forward, colors, width=2.55, height=0.7, edge=colors["accent"], size=11)
        box(ax, 5.55, y, backward, colors, width=2.0, height=0.7, edge=colors["gradient"], size=11)
    label(ax, 0.1, 0.05, "$g$: the gradient arriving at $D$;  $\\pi_0 = \\mathrm{softmax}(\\ell)$;  "
          "$\\pi_1 = (\\mathrm{softmax}(\\ell / \\tau) + D)/2$;\n$J(p) = \\mathrm{diag}(p) - p p^\\top$, the "
          "softmax's Jacobian;  $G$: Gumbel noise", colors["muted"], size=10)
    return figure
