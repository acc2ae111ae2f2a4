"""The rendered book builds from the committed notebooks with Sphinx warnings as errors."""

from pathlib import Path

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
