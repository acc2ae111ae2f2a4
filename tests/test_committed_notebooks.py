"""The committed notebooks are what the book shows: they must come from one clean, full run.

Re-execute them with `bash .ci/execute` (full mode) after changing a chapter or vaecore.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def code_cells(path):
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def text_of(cell):
    """A cell's outputs as text; images are left out (base64 can spell anything, "/tmp/" included)."""
    return "".join(
        output.get("text", "")
        + "".join(str(value) for kind, value in output.get("data", {}).items() if not kind.startswith("image/"))
        for output in cell.outputs
    )


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_executed_top_to_bottom_in_one_run(path):
    counts = [cell.execution_count for cell in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}: re-run with bash .ci/execute"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_error_outputs(path):
    for cell in code_cells(path):
        errors = [output for output in cell.outputs if output.output_type == "error"]
        assert not errors, f"{path.name} has an error output: {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_outputs_come_from_a_full_run(path):
    outputs = "\n".join(text_of(cell) for cell in code_cells(path))
    assert "run mode: full" in outputs, f"{path.name} does not print 'run mode: full': was it run in smoke mode?"
    assert "run mode: smoke" not in outputs


# TensorFlow's C++ (abseil) log lines look like "I0000 00:00:1795468337.960991    2702 port.cc:153] ...";
# its Python logger's like "WARNING:tensorflow:6 out of the last 46 calls to <function ...".
TF_LOG_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d|WARNING:tensorflow:)",
                         re.MULTILINE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_tensorflow_log_lines(path):
    for cell in code_cells(path):
        for output in cell.outputs:
            match = TF_LOG_LINE.search(output.get("text", ""))
            assert match is None, f"TensorFlow log line in {path.name}: {match and match.group(0)}"


# A path of the machine that executed a notebook: a home directory, a virtual environment, site-packages.
LOCAL_PATH = re.compile(r"(/home/|/root/|/Users/|[A-Za-z]:\\Users\\|site-packages|/\.venv/|/tmp/)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_local_paths_in_outputs(path):
    for cell in code_cells(path):
        match = LOCAL_PATH.search(text_of(cell))
        assert match is None, f"{path.name} shows a path of the machine that ran it: ...{match and match.group(0)}..."


CHAPTER_REFERENCE = re.compile(r"\b[Cc]hapters? (\d+)(?:(?:, | and | or |–)(\d+))*")


def test_every_chapter_reference_points_to_an_existing_chapter():
    existing = {int(path.name[:2]) for path in NOTEBOOKS if path.name[:2].isdigit()}
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for match in CHAPTER_REFERENCE.finditer(cell.source):
                numbers = {int(n) for n in re.findall(r"\d+", match.group(0))}
                assert numbers <= existing, f"{path.name} refers to a missing chapter: {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_nbval_markers_are_tags_not_comments(path):
    for cell in code_cells(path):
        assert "NBVAL" not in cell.source, f"{path.name}: use the cell tag nbval-check-output, not a comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_first_cell_says_what_to_install_when_vaecore_is_missing(path, monkeypatch):
    """A chapter downloaded from the book and opened without vaecore stops at once, saying what to do."""
    first = code_cells(path)[0].source
    assert first.startswith("try:\n    import vaecore\n"), f"{path.name}: vaecore is not the first import"
    monkeypatch.setitem(sys.modules, "vaecore", None)  # as if it were not installed
    with pytest.raises(ModuleNotFoundError, match=r"download its wheel \(vaecore-<version>-py3-none-any\.whl\)") as missing:
        exec(compile(first, path.name, "exec"), {})
    assert "introduction page" in str(missing.value) and "`pip install` that file" in str(missing.value)


CODE_COLUMN = 77  # characters of the code font in the text column at 1280 px (652 px of 8.4 px each)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_fits_the_column(path):
    long = [line for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
            for line in cell.source.splitlines() if len(line) > CODE_COLUMN]
    assert not long, (f"{path.name} has code lines over {CODE_COLUMN} characters, which scroll sideways in the "
                      f"book: {long}; wrap them (e.g. ruff format --line-length 76)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    # MyST-NB takes a figure's alt text from its cell's metadata (mystnb.image.alt); without it, the page's
    # <img> says only the image file's hash, which is what a screen reader would read out.
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        images = [output for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
        alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
        assert not images or len(alt) >= 20, (
            f"{path.name}, cell {index}: a figure without alt text; describe what it shows in the cell's "
            "metadata, mystnb.image.alt")
