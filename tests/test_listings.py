"""The code a chapter shows is the code that runs.

Chapters show vaecore's code with ``literalinclude`` directives naming a Python object
(``:pyobject:``): the book reads the current source when it is built, so a listing cannot drift.
These tests check that each listing names an object that exists, that every chapter shows the
code of its idea, and that the listed code fits the text column (76 characters) without a
sideways scroll. A cell that prints source with ``inspect.getsource`` must show today's source.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path

import nbformat
import pytest


ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
LISTING = re.compile(r"```\{literalinclude\} \.\./vaecore/(\w+)\.py\n(?:.*\n)*?:pyobject: ([\w.]+)\n")
COLUMN = 76


def listings(path):
    text = "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown")
    return LISTING.findall(text)


def source_lines(module, name):
    """The lines of ``name`` (a function, class or Class.method) in vaecore/<module>.py, found with ast."""
    source = (ROOT / "vaecore" / f"{module}.py").read_text()
    node = ast.parse(source)
    for part in name.split("."):
        node = next((child for child in ast.iter_child_nodes(node)
                     if isinstance(child, ast.FunctionDef | ast.ClassDef) and child.name == part), None)
        assert node is not None, f"vaecore/{module}.py has no {name}"
    return source.splitlines()[node.lineno - 1:node.end_lineno]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_every_chapter_shows_the_code_of_its_idea(path):
    assert listings(path), f"{path.name} shows no vaecore code: add a literalinclude with :pyobject:"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_listings_name_objects_that_exist_and_fit_the_column(path):
    for module, name in listings(path):
        long = [line for line in source_lines(module, name) if len(line) > COLUMN]
        assert not long, f"{path.name} lists {module}.{name}, whose lines are over {COLUMN} characters: {long}"


def test_the_listing_pattern_finds_a_listing():
    text = "```{literalinclude} ../vaecore/latents.py\n:language: python\n:pyobject: gumbel_softmax\n```"
    assert LISTING.findall(text + "\n") == [("latents", "gumbel_softmax")]


GETSOURCE = re.compile(r"print\(inspect\.getsource\((\w+)\.(\w+)\)\)")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_printed_source_is_todays_source(path):
    for cell in nbformat.read(path, as_version=4).cells:
        for module, name in GETSOURCE.findall(cell.source if cell.cell_type == "code" else ""):
            shown = "".join(output.get("text", "") for output in cell.outputs)
            current = inspect.getsource(getattr(importlib.import_module(f"vaecore.{module}"), name))
            assert shown.strip() == current.strip(), f"{path.name} shows an old {module}.{name}"
