"""Sphinx extension: build vaecore's wheel before the book, so the introduction can offer it as a download.

The wheel goes to ``_build/wheel/``; the introduction links it with ``{download}``, which fails the build
(warnings are errors) when the file named there is not the wheel just built, e.g. after a version change.
``python book/_ext/vaecore_wheel.py FOLDER`` builds it into FOLDER (``.ci/test-wheel`` does).
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WHEEL_FOLDER = Path("_build") / "wheel"


def build_wheel(folder: Path) -> Path:
    """Build vaecore's wheel into ``folder`` (emptied of older ones) and return its path.

    The build runs on a copy of the package, so setuptools leaves no ``build/`` folder in the clone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("vaecore-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "vaecore-source"
        shutil.copytree(ROOT / "vaecore", copy / "vaecore", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", copy)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                   "--disable-pip-version-check", "--wheel-dir", str(folder), str(copy)]
        built = subprocess.run(command, capture_output=True, text=True)
    if built.returncode != 0:
        raise RuntimeError(f"building vaecore's wheel failed ({' '.join(command)}):\n{built.stderr[-3000:]}")
    (wheel,) = folder.glob("vaecore-*.whl")
    return wheel


def setup(app):
    app.connect("builder-inited", lambda app: build_wheel(Path(app.srcdir) / WHEEL_FOLDER))
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    print(build_wheel(Path(sys.argv[1])))
