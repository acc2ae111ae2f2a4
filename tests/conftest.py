"""Shared fixtures: the real MNIST file (named by $VAECORE_DATA) and small fake archives."""

import os

import numpy as np
import pytest

import vaecore  # noqa: F401  (imports TensorFlow quietly)
from vaecore import data, runtime


@pytest.fixture(autouse=True)
def train_with_xla(monkeypatch):
    """Unit tests train as the chapters' full runs do, with XLA, even where CI turns it off for the
    notebooks' smoke runs (``VAECORE_XLA=0`` in .ci/test and .ci/test-wheel)."""
    monkeypatch.delenv(runtime.XLA_VARIABLE, raising=False)


@pytest.fixture(scope="session")
def mnist_path():
    path = os.environ.get(data.ENV_VARIABLE)
    if not path:
        pytest.skip(f"set {data.ENV_VARIABLE} to the full mnist.npz to run the tests that need it")
    return path


@pytest.fixture(scope="session")
def mnist(mnist_path):
    return data.load_mnist(mnist_path)


@pytest.fixture
def intensities():
    """A small batch of fake images in [0, 1], shaped like MNIST.

    Its generator's seed must differ from the seeds the tests binarize with: binarize_fixed
    with the same seed would draw the very same uniforms and return blank images.
    """
    images = np.random.default_rng(2024).random((16, 28, 28, 1), dtype=np.float32)
    assert data.binarize_fixed(images, seed=0).mean() > 0.3
    return images


@pytest.fixture(scope="session")
def built_book():
    """The book built from the committed notebooks into _build/html (warnings are errors); its folder.

    Under pytest-xdist every worker asks for it: the first builds it, under a lock, and the others wait for
    that build and reuse it (the run's id marks which run built it).
    """
    import fcntl
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    build = root / "_build"
    build.mkdir(exist_ok=True)
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")  # "" without xdist: always build
    built_by = build / ".built-by-test-run"
    with open(build / ".build-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not run or not built_by.exists() or built_by.read_text() != run:
            built_by.unlink(missing_ok=True)
            jupyter_book = Path(sys.executable).parent / "jupyter-book"
            command = [str(jupyter_book), "build", str(root), "--all", "--warningiserror", "--nitpick",
                       "--keep-going"]
            result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
            built_by.write_text(run)
    return build / "html"
