"""Numbers in the prose come from the run: glued (myst-nb's ``{glue:text}``), or cited with a source.

A chapter in ``GLUED`` may type a decimal number, a percentage or a ratio ("1.6x") in its prose
only if ``book/cited_numbers.toml`` lists it (a setting or a published figure, with where it comes
from); everything its runs produce reaches the prose through ``vaecore.pages.glue``. Numbers in
code spans, in math and inside roles are not prose. Every glue reference must name a value that
its notebook's committed outputs hold.
"""

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CITED = tomllib.loads((ROOT / "book" / "cited_numbers.toml").read_text())["numbers"]
# The chapters whose prose is glued so far; the others still type their numbers (issue #21).
GLUED = ["01_dense_vae.ipynb", "02_conv_vae.ipynb", "03_categorical_failure.ipynb", "04_gumbel_max.ipynb",
         "05_gumbel_softmax_vae.ipynb", "06_straight_through.ipynb", "07_vq_vae.ipynb", "08_estimator_bench.ipynb",
         "A1_training_fast_on_a_cpu.ipynb", "B1_fashion_mnist.ipynb"]

GLUE_PREFIX = "application/papermill.record/"
DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
# Inline math, code spans, roles, link targets and directive options (one line each).
NOT_PROSE = re.compile(r"\$[^$\n]+\$|`[^`\n]*`|\{[a-z:]+\}`[^`]*`|\]\([^)]*\)|^\s*:[a-z-]+:.*$", re.MULTILINE)
NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?\s?%|\d[\d,]*(?:\.\d+)?[x×](?!\w)|\d[\d,]*\.\d+)")
GLUE_REFERENCE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`]+)`")


def prose_numbers(markdown: str) -> list[str]:
    """The decimal numbers, percentages and ratios typed in ``markdown``'s prose."""
    prose = NOT_PROSE.sub(" ", DISPLAY_MATH.sub(" ", markdown))
    return [match.group(1).replace(" ", "") for match in NUMBER.finditer(prose)]


def glued_values(path: Path) -> dict[str, str]:
    """Every value a notebook's committed outputs glue, by name, as its text/plain."""
    values = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = output["data"][GLUE_PREFIX + "text/plain"]
    return values


def markdown_of(path: Path) -> str:
    return "\n".join(cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown")


def test_prose_numbers_are_found_and_code_math_and_roles_are_not():
    text = ("It ran 1.6x faster, 12.5 % of 3,000 codes; ELBO {glue:text}`elbo:.2f` nats, `lr=1e-3`, "
            "$\\tau = 0.5$ and 2 x 3.\n:::{note}\n:class: tip\n$$\nx = 0.25\n$$\nIt reached 7.5 nats.\n:::")
    assert prose_numbers(text) == ["1.6x", "12.5%", "7.5"]


@pytest.mark.parametrize("name", GLUED)
def test_the_prose_types_no_number_that_is_neither_glued_nor_cited(name):
    typed = [number for number in prose_numbers(markdown_of(NOTEBOOKS / name)) if number not in CITED]
    assert not typed, (f"{name} types {typed} in its prose: glue them from the run (vaecore.pages.glue and "
                       "{glue:text}`name:.2f`), or list a setting or a paper's figure in book/cited_numbers.toml")


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.name)
def test_every_glue_reference_names_a_glued_value(path):
    values = glued_values(path)
    for reference in GLUE_REFERENCE.findall(markdown_of(path)):
        key = reference.split(":")[0]
        if "::" in reference:
            other, key = reference.split("::")[0], reference.split("::")[1].split(":")[0]
            assert key in glued_values((path.parent / other).with_suffix(".ipynb")), f"{path.name}: {reference}"
            # myst-nb splits a reference at its last ':', so one without a format spec names no key
            assert reference.count(":") > 2, f"{path.name}: {reference} needs a format spec (e.g. ':.2f')"
        else:
            assert key in values, f"{path.name} refers to {key!r}, which its outputs do not glue"


@pytest.mark.parametrize("name", GLUED)
def test_glued_values_are_numbers_or_strings(name):
    for key, text in glued_values(NOTEBOOKS / name).items():
        assert isinstance(ast.literal_eval(text), int | float | str), f"{name}: {key} = {text}"


def test_every_cited_number_says_where_it_comes_from():
    assert all(len(source) > 10 for source in CITED.values()), "give each cited number its source"
