"""vaecore's import rules (stated in its package docstring) hold: no file reaches up the layers."""

import ast
from pathlib import Path

import pytest

import vaecore

PACKAGE = Path(vaecore.__file__).resolve().parent  # the package under test, installed or in a clone

# Which vaecore modules each module may import; anything else is a layering error.
ALLOWED = {
    "runtime": {"checks"}, "checks": set(), "plots": set(), "contracts": set(),
    "draws": set(),
    "data": {"checks", "draws"},
    "latents": {"checks", "draws"},
    "losses": {"checks"},
    "estimators": {"checks", "latents", "losses"},
    "gradients": {"checks", "estimators"},
    "networks": {"checks", "data"},
    "quantizers": {"checks", "contracts", "latents", "losses"},
    "priors": {"checks", "losses"},
    "models": {"checks", "contracts", "data", "estimators", "latents", "losses", "quantizers"},
    "evaluation": {"checks", "contracts", "data", "losses", "runtime"},
    "training": {"checks", "data", "estimators", "runtime"},
    "speed": {"data", "latents", "losses", "models", "networks", "training"},
    "pages": set(),
    "speed_by_model": {"data", "estimators", "models", "networks", "priors", "quantizers", "training"},
}
DRAWING = {"matplotlib", "IPython"}


def imports_of(path):
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_every_module_is_listed():
    assert {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"} == set(ALLOWED)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_module_imports_only_what_its_layer_allows(name):
    imported = imports_of(PACKAGE / f"{name}.py")
    inside = {module.split(".")[1] for module in imported if module.startswith("vaecore.")}
    assert inside <= ALLOWED[name], f"vaecore.{name} imports {sorted(inside - ALLOWED[name])}"
    if name not in ("plots", "pages"):
        assert not {module.split(".")[0] for module in imported} & DRAWING, f"vaecore.{name} draws"
