"""Sphinx extension: build vaecore's wheel before the book, so the introduction can offer it as a download.

The wheel goes to ``_build/wheel/``; the introduction links it with ``{download}``, which fails the build
(warnings are errors) when the file named there is not the wheel just built, e.g. after a version change.
"""

import subprocess
import sys
from pathlib import Path

WHEEL_FOLDER = Path("_build") / "wheel"


def build_wheel(app) -> None:
    source = Path(app.srcdir)
    folder = source / WHEEL_FOLDER
    for old in folder.glob("vaecore-*.whl"):
        old.unlink()
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
               "--disable-pip-version-check", "--wheel-dir", str(folder), str(source)]
    built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0:
        raise RuntimeError(f"building vaecore's wheel failed ({' '.join(command)}):\n{built.stderr[-3000:]}")


def setup(app):
    app.connect("builder-inited", build_wheel)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
