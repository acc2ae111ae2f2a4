"""README's results and the book's results page are written from the chapters' glued values (.ci/results.py)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("results", ROOT / ".ci" / "results.py")
results = importlib.util.module_from_spec(spec)
sys.modules["results"] = results  # dataclasses look their module up there
spec.loader.exec_module(results)


def test_readme_and_results_page_agree_with_the_notebooks():
    page, readme = results.written()
    assert (ROOT / "book" / "results.md").read_text(encoding="utf-8") == page, \
        "book/results.md is out of date: run python .ci/results.py"
    assert (ROOT / "README.md").read_text(encoding="utf-8") == readme, \
        "README's results disagree with the notebooks: run python .ci/results.py"


def test_a_changed_value_makes_the_readme_disagree():
    values = results.all_values()
    section = results.readme_section(values)
    row = results.MODELS[1]
    values[row.notebook][row.elbo] -= 1.0
    assert results.readme_section(values) != section


def test_every_row_names_glued_values():
    values = results.all_values()
    for row in results.MODELS + results.FASHION:
        for key in [row.elbo, row.minutes, row.bound, row.epochs, row.prior_epochs]:
            if isinstance(key, str):
                assert key in values[row.notebook], f"{row.notebook} glues no {key!r}"


def test_typed_prior_epochs_are_the_chapters_own():
    for row in results.MODELS + results.FASHION:
        if isinstance(row.prior_epochs, int):
            source = (ROOT / "notebooks" / f"{row.notebook}.ipynb").read_text(encoding="utf-8")
            assert f"epochs=config.epochs({row.prior_epochs})" in source.split("fit_prior(", 1)[1][:400], \
                f"{row.notebook}'s prior no longer trains {row.prior_epochs} epochs: update .ci/results.py"


def test_the_results_page_is_in_the_table_of_contents():
    assert "book/results" in (ROOT / "_toc.yml").read_text()


@pytest.mark.parametrize("key", list(results.ESTIMATORS))
def test_the_bench_glues_every_estimator(key):
    assert f"{key}_elbo" in results.all_values()[results.BENCH]
