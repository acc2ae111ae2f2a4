"""The rendered book builds from the committed notebooks with Sphinx warnings as errors."""

import re
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        yield from toc_files(entry.get("chapters", []) + entry.get("sections", []))


def test_every_notebook_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = set(toc_files(toc["parts"]))
    notebooks = {f"notebooks/{path.stem}" for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks <= listed, f"not in _toc.yml: {sorted(notebooks - listed)}"


def test_book_builds_with_warnings_as_errors(built_book):
    assert (built_book / "notebooks" / "01_dense_vae.html").is_file()
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax was not bundled for offline reading"


def test_every_chapter_vaecore_points_back_to_exists():
    """vaecore's docstrings name the chapter that introduces an idea by its notebook: the name must be current."""
    named = {match for path in (ROOT / "vaecore").glob("*.py")
             for match in re.findall(r"notebooks/[\w]+\.ipynb", path.read_text())}
    assert named, "no docstring names a chapter"
    assert all((ROOT / name).is_file() for name in named), sorted(n for n in named if not (ROOT / n).is_file())


def test_prose_writes_no_chapter_number_by_hand():
    """Chapters are referred to with the {ch} role (book/_ext/chapter_times.py), which reads the number from the title."""
    pages = [ROOT / "book" / "intro.md", *sorted((ROOT / "notebooks").glob("*.ipynb"))]
    by_hand = re.compile(r"\b(?:[Cc]hapters?|[Aa]ppendix) [1-9AB]\b")
    for page in pages:
        text = page.read_text()
        if page.suffix == ".ipynb":
            text = "\n".join(cell.source for cell in nbformat.read(page, as_version=4).cells
                             if cell.cell_type == "markdown")
        assert not by_hand.findall(text), f"{page.name}: {by_hand.findall(text)[:3]}; write chapter {{ch}}`<notebook>`"
