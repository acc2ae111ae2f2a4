"""The committed notebooks are what the book shows: they must come from one clean, full run.

Re-execute them with `bash .ci/execute` (full mode) after changing a chapter or vaecore.
"""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def code_cells(path):
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def text_of(cell):
    return "".join(
        output.get("text", "") + "".join(str(v) for v in output.get("data", {}).values())
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_no_tensorflow_log_lines(path):
    for cell in code_cells(path):
        for output in cell.outputs:
            text = output.get("text", "")
            assert "absl::InitializeLog" not in text and "cudart_stub" not in text, f"TF log in {path.name}"
