"""The diagrams of mechanisms (book/figures): each is drawn, in both themes, and shown on a page."""

import importlib.util
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "book" / "figures"
SHOWN = re.compile(r"\.\./book/figures/_svg/(\w+)-(light|dark)\.svg\n:class: only-(\w+)")


def shown():
    pairs = set()
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for name, mode, css in SHOWN.findall(cell.source if cell.cell_type == "markdown" else ""):
                assert mode == css, f"{path.name}: {name}-{mode}.svg shown with class only-{css}"
                pairs.add((name, mode))
    return pairs


def test_every_figure_is_shown_in_both_themes_and_every_shown_figure_is_drawn():
    scripts = {path.stem for path in FIGURES.glob("[!_]*.py")}
    assert scripts, "no figure scripts under book/figures"
    assert shown() == {(name, mode) for name in scripts for mode in ("light", "dark")}


def test_every_figure_draws_in_both_themes():
    spec = importlib.util.spec_from_file_location("mechanism_figures", ROOT / "book" / "_ext" / "mechanism_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.draw_all(FIGURES)
    assert len(written) == 2 * len(list(FIGURES.glob("[!_]*.py")))
    assert all(path.stat().st_size > 1000 and path.read_text().lstrip().startswith("<?xml") for path in written)
