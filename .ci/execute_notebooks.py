"""Execute notebooks top to bottom in a fresh kernel and save their outputs in place.

Progress bars redraw themselves with carriage returns and backspaces; only their
final state is kept, as a terminal would show it, so committed outputs stay short.
"""

import re
import sys
import time
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


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=None, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
    nbformat.write(notebook, path)
    print(f"{path}: executed in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        execute(Path(name))
