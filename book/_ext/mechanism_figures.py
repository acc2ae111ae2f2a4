"""Sphinx extension: the book's diagrams of mechanisms, drawn by code when the book is built.

Each ``book/figures/<name>.py`` defines ``draw(colors) -> matplotlib.figure.Figure``. Before the
pages are read, every one is drawn twice, with light-mode and dark-mode colours, into
``book/figures/_svg/<name>-light.svg`` and ``<name>-dark.svg`` (not committed); a page shows
the pair with the theme's ``only-light`` / ``only-dark`` classes. A figure that fails to draw
fails the build.
"""

import importlib.util
import sys
from pathlib import Path

PALETTES = {
    "light": {"text": "#1a1a1a", "line": "#444444", "box": "#eef2f7", "accent": "#1f6fb4",
              "gradient": "#c0392b", "noise": "#2e8b57", "muted": "#888888", "background": "none"},
    "dark": {"text": "#e8e8e8", "line": "#bbbbbb", "box": "#2a3340", "accent": "#6cb4f0",
             "gradient": "#ff7b6b", "noise": "#5fd39a", "muted": "#999999", "background": "none"},
}


def draw_all(source: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = source / "_svg"
    out.mkdir(exist_ok=True)
    written = []
    sys.path.insert(0, str(source))  # the figures share _diagram.py
    for script in sorted(source.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"figure_{script.stem}", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for mode, colors in PALETTES.items():
            with plt.rc_context({"svg.fonttype": "path", "font.size": 12, "text.color": colors["text"],
                                 "axes.labelcolor": colors["text"], "xtick.color": colors["text"],
                                 "ytick.color": colors["text"], "axes.edgecolor": colors["line"]}):
                figure = module.draw(colors)
                path = out / f"{script.stem}-{mode}.svg"
                figure.savefig(path, transparent=True, bbox_inches="tight")
                plt.close(figure)
            written.append(path)
    return written


def _on_builder_inited(app):
    draw_all(Path(app.srcdir) / "book" / "figures")


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":  # python book/_ext/mechanism_figures.py: draw them to look at
    for path in draw_all(Path(__file__).resolve().parent.parent / "figures"):
        print(path)
