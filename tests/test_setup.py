""".ci/setup picks the interpreter: a supported one by name (found under pyenv too), any other refused with what to do."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def setup_functions(command: str) -> subprocess.CompletedProcess:
    """Run ``command`` in bash after defining .ci/setup's functions (and nothing else of it)."""
    script = (ROOT / ".ci" / "setup").read_text()
    functions = script[script.index("SUPPORTED_PYTHONS="):script.index("VENV=")]
    return subprocess.run(["bash", "-c", functions + command], capture_output=True, text=True, timeout=60)


def test_an_unsupported_python_is_refused_with_what_to_do():
    old = sorted(PYENV_VERSIONS.glob("3.10*/bin/python3.10"))
    if not old:
        pytest.skip("no Python 3.10 under pyenv to try")
    refused = setup_functions(f"check_supported {old[0]}")
    assert refused.returncode != 0
    assert "supports Python 3.11, 3.12, 3.13" in refused.stderr and "is Python 3.10" in refused.stderr
    assert "PYTHON=python3.13" in refused.stderr


def test_each_supported_python_is_found_by_name_and_accepted():
    found = 0
    for version in ("3.11", "3.12", "3.13"):
        if not sorted(PYENV_VERSIONS.glob(f"{version}*/bin/python{version}")):
            continue
        resolved = setup_functions(f'p=$(resolve_python python{version}); check_supported "$p" && "$p" -V')
        assert resolved.returncode == 0, resolved.stderr
        assert resolved.stdout.startswith(f"Python {version}.")
        found += 1
    if not found:
        pytest.skip("no pyenv versions of 3.11-3.13 here")


def test_an_unknown_interpreter_resolves_to_nothing():
    assert setup_functions("resolve_python no-such-python3.99").stdout == ""
