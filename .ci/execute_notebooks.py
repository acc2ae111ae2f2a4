"""Execute notebooks top to bottom in a fresh kernel and save their outputs in place.

Progress bars redraw themselves with carriage returns and backspaces; only their
final state is kept, as a terminal would show it, so committed outputs stay short.
"""

import re
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

_REDRAWN = re.compile(r"[^\n]*\r(?!\n)")


def final_screen(text: str) -> str:
    """What a terminal shows of ``text``: each line only after its last carriage return."""
    return _REDRAWN.sub("", text.replace("\b", ""))


def merged_streams(outputs: list) -> list:
    """Join consecutive outputs of the same stream, then keep only their final screen."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if output.output_type == "stream" and previous and previous.output_type == "stream" \
                and previous.name == output.name:
            previous.text += output.text
        else:
            merged.append(output)
    for output in merged:
        if output.output_type == "stream":
            output.text = final_screen(output.text)
    return merged


def cell_seconds(cell) -> float:
    """Seconds a code cell ran, from nbclient's timing record, which is then removed (it would change
    every committed cell's metadata on each run)."""
    timing = cell.metadata.pop("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()


def slowest_cells(notebook, count: int = 5) -> str:
    """Where a notebook's time went: its slowest code cells, by index and first line."""
    timed = [(cell_seconds(cell), index, cell.source.strip().splitlines()[0] if cell.source.strip() else "")
             for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    return "\n".join(f"  cell {index:>3}: {seconds:7.1f} s  {first[:60]}"
                     for seconds, index, first in sorted(timed, reverse=True)[:count])


DEFAULT_BUDGET_MINUTES = 15  # the book's promise: every chapter's full run in minutes, not hours


def execute(path: Path) -> float:
    """Run ``path`` in a fresh kernel and save it in place; return the seconds it took.

    The notebook is written only after every cell ran: a failing chapter keeps its committed outputs.
    The run time is recorded in the notebook's metadata (``vaecore.run_seconds``).
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=None, kernel_name="python3", record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
    print(f"{path}: slowest cells\n{slowest_cells(notebook)}", flush=True)
    notebook.metadata.setdefault("vaecore", {})["run_seconds"] = round(seconds)
    nbformat.write(notebook, path)
    return seconds


def main(paths: list[Path]) -> int:
    """Execute every notebook, even after one fails; name the failures and return 1 if any."""
    failed = []
    for path in paths:
        try:
            seconds = execute(path)
        except Exception as error:  # a cell's error, a dead kernel: report it and go on
            failed.append(path)
            print(f"{path}: FAILED, committed outputs left as they were ({type(error).__name__}: "
                  f"{str(error).strip().splitlines()[-1] if str(error).strip() else ''})", flush=True)
            print(f"  the failing cell and its traceback:\n{str(error).strip()[-4000:]}", flush=True)
            continue
        budget = nbformat.read(path, as_version=4).metadata.get("vaecore", {}).get(
            "budget_minutes", DEFAULT_BUDGET_MINUTES)
        note = f"  WARNING: over its budget of {budget} minutes" if seconds > 60 * budget else ""
        print(f"{path}: executed in {seconds:.0f} s{note}", flush=True)
    if failed:
        print("failed: " + ", ".join(str(path) for path in failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([Path(name) for name in sys.argv[1:]]))
