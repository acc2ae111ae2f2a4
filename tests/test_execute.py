"""`.ci/execute`'s runner: a failing chapter keeps its committed outputs and does not stop the others."""

import importlib.util
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "execute_notebooks.py"
spec = importlib.util.spec_from_file_location("execute_notebooks", SCRIPT)
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)


def notebook(path, source, committed_output):
    cell = new_code_cell(source, execution_count=1,
                         outputs=[new_output("stream", name="stdout", text=committed_output)])
    nb = new_notebook(cells=[cell], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    nbformat.write(nb, path)
    return path


def test_a_broken_chapter_is_named_left_untouched_and_the_others_still_run(tmp_path, capsys):
    broken = notebook(tmp_path / "01_broken.ipynb", "raise RuntimeError('deliberately broken')", "old output\n")
    working = notebook(tmp_path / "02_working.ipynb", "print('new output')", "old output\n")
    before = broken.read_bytes()
    assert runner.main([broken, working]) == 1
    assert broken.read_bytes() == before
    cell = nbformat.read(working, as_version=4).cells[0]
    assert cell.outputs[0].text == "new output\n"
    assert nbformat.read(working, as_version=4).metadata["vaecore"]["run_seconds"] >= 0
    printed = capsys.readouterr().out
    assert "01_broken.ipynb: FAILED" in printed and "RuntimeError" in printed
    assert "failed: " in printed and "02_working.ipynb: executed" in printed


def test_the_runner_prints_the_slowest_cells_and_commits_no_timing_metadata(tmp_path, capsys):
    path = notebook(tmp_path / "03_timed.ipynb", "import time\ntime.sleep(0.3)", "")
    assert runner.main([path]) == 0
    assert "execution" not in nbformat.read(path, as_version=4).cells[0].metadata
    slowest = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("  cell   0:"))
    assert float(slowest.split(":")[1].split("s")[0]) >= 0.3 and "import time" in slowest  # slept 0.3 s


def test_progress_bars_keep_only_their_final_screen():
    assert runner.final_screen("epoch 1 10%\repoch 1 100%\nnext\n") == "epoch 1 100%\nnext\n"
