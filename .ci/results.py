"""The book's results in one place, written from the values the chapters glue.

Each row names a model, its chapter and the glue keys that hold its numbers. From these rows
``book/results.md`` is written with cross-document ``{glue:text}`` roles (the book inserts the values
when it is built) and README's results section with the values themselves, so neither types a number.

    python .ci/results.py          # rewrite book/results.md and README's results section
    python .ci/results.py --check  # exit 1 if either is out of date (tests/test_results.py does this)
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
RESULTS_PAGE = ROOT / "book" / "results.md"
GLUE_PREFIX = "application/papermill.record/"
BEGIN, END = "<!-- results: written by .ci/results.py -->", "<!-- end of results -->"


@dataclass(frozen=True)
class Row:
    model: str
    notebook: str
    elbo: str  # glue key of the test ELBO under the stochastic protocol
    epochs: str | int  # a glue key, or the number of epochs when the chapter does not glue it
    minutes: str | None = None
    bound: str | None = None  # glue key of the best bound on log p(x), where computed
    prior_epochs: str | int | None = None  # a VQ-VAE's PixelCNN prior: its epochs, whose minutes count too


MODELS = [
    Row("Hatena dense model (trained on thresholded digits)", "01_dense_vae", "hatena_stochastic",
        "hatena_epochs", "hatena_minutes", "hatena_stochastic_bound"),
    Row("dense VAE, 512-256 MLP, 32-d code", "01_dense_vae", "better_stochastic", "better_epochs",
        "better_minutes", "better_stochastic_bound"),
    Row("Hatena conv model, Adam 1e-3 instead of its 1e-4 (trained on thresholded digits)", "02_conv_vae",
        "hatena_conv_stochastic", "hatena_conv_epochs", "hatena_conv_minutes"),
    Row("conv VAE, 512-unit dense layers, 32-d code", "02_conv_vae", "conv_stochastic", "conv_epochs",
        "conv_minutes", "conv_bound"),
    Row("dense VAE, 512-256 MLP, 32-d code", "02_conv_vae", "dense_stochastic", "dense_epochs",
        "dense_minutes", "dense_bound"),
    Row("dense VAE, 512-256 MLP, 32-d code, KL warm-up", "02_conv_vae", "warm_stochastic", "warm_epochs",
        "warm_minutes"),
    Row("one 10-way code, no gradient through it", "03_categorical_failure", "no_gradient_test_elbo",
        "epochs", "no_gradient_minutes", "no_gradient_log_likelihood"),
    Row("one 10-way code, REINFORCE", "03_categorical_failure", "reinforce_test_elbo", "epochs",
        "reinforce_minutes", "reinforce_log_likelihood"),
    Row("one 10-way code, exact gradient", "03_categorical_failure", "exact_test_elbo", "epochs",
        "exact_minutes", "exact_log_likelihood"),
    Row("20 × 10 code, Gumbel-Softmax, fixed τ = 1", "05_gumbel_softmax_vae", "fixed_test_elbo",
        "comparison_epochs", "fixed_minutes"),
    Row("20 × 10 code, Gumbel-Softmax, annealed τ", "05_gumbel_softmax_vae", "annealed_test_elbo",
        "epochs", "annealed_minutes", "annealed_bound"),
    Row("20 × 10 code, trained on the relaxed ELBO, τ = 1", "05_gumbel_softmax_vae", "relaxed_test_elbo",
        "comparison_epochs", "relaxed_minutes"),
    Row("20 × 10 code, trained on the relaxed ELBO, annealed τ", "05_gumbel_softmax_vae",
        "relaxed_annealed_test_elbo", "comparison_epochs", "relaxed_annealed_minutes"),
    Row("20 × 10 code, Gumbel-Softmax (mean of 2 seeds)", "06_straight_through", "gs_mean", "epochs",
        "gs_minutes"),
    Row("20 × 10 code, straight-through Gumbel (mean of 2 seeds)", "06_straight_through", "stg_mean",
        "epochs", "stg_minutes"),
    Row("20 × 10 code, straight-through (mean of 2 seeds)", "06_straight_through", "st_mean", "epochs",
        "st_minutes"),
    Row("20 × 10 code, ReinMax (mean of 2 seeds)", "06_straight_through", "rm_mean", "epochs",
        "rm_minutes"),
    Row("20 × 10 code, Gumbel-Softmax", "06_straight_through", "gs_long", "long_epochs", "gs_long_minutes"),
    Row("20 × 10 code, straight-through Gumbel", "06_straight_through", "stg_long", "long_epochs",
        "stg_long_minutes"),
    Row("20 × 10 code, straight-through", "06_straight_through", "st_long", "long_epochs", "st_long_minutes"),
    Row("20 × 10 code, ReinMax", "06_straight_through", "rm_long", "long_epochs", "rm_long_minutes"),
    Row("VQ-VAE, 7 × 7 grid of 128 codes, restarts; uniform prior, then a PixelCNN prior", "07_vq_vae",
        "vq_uniform_elbo", "vq_epochs", "vq_with_prior_minutes", "vq_bound",
        prior_epochs=6),  # chapter 7 does not glue it: its fit_prior call's epochs (tests/test_results.py)
    Row("conv VAE, 16-d code, the VQ-VAE's budget", "07_vq_vae", "gaussian_elbo", "vq_epochs",
        "gaussian_minutes"),
]
# Appendix B: the same models on Fashion-MNIST (a table of its own: its numbers are not comparable).
FASHION = [
    Row("conv VAE, 512-unit dense layers, 32-d code", "B1_fashion_mnist", "conv_elbo", "conv_epochs",
        "conv_minutes"),
    Row("VQ-VAE, 7 × 7 grid of 128 codes, restarts; uniform prior, then a PixelCNN prior", "B1_fashion_mnist",
        "vq_uniform_elbo", "vq_epochs", "vq_minutes", "vq_elbo", prior_epochs="prior_epochs"),
]

BENCH = "08_estimator_bench"
ESTIMATORS = {"none": "no gradient", "sf": "score function", "loo": "leave-one-out",
              "gs": "Gumbel-Softmax", "stg": "straight-through Gumbel", "st": "straight-through",
              "rm": "ReinMax"}


def glued_values(path: Path) -> dict[str, object]:
    """Every value a notebook's committed outputs glue, by name."""
    values = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = ast.literal_eval(output["data"][GLUE_PREFIX + "text/plain"])
    return values


def _ranked(values: dict[str, dict]) -> list[str]:
    """The bench's estimators, best exact test ELBO (mean of two seeds) first."""
    bench = values[BENCH]
    return sorted(ESTIMATORS, key=lambda key: -bench[f"{key}_elbo"])


def _cells(row: Row, show) -> list[str]:
    """A row's cells; ``show(notebook, key, spec)`` renders one glued value."""
    def epochs_of(key):
        return str(key) if isinstance(key, int) else show(row.notebook, key, "d")

    epochs = epochs_of(row.epochs)
    if row.prior_epochs is not None:
        epochs += f" + {epochs_of(row.prior_epochs)} prior"
    return [f"{row.model} ({row.notebook.split('_')[0]})", epochs,
            show(row.notebook, row.minutes, ".1f") if row.minutes else "",
            show(row.notebook, row.elbo, ".2f"),
            show(row.notebook, row.bound, ".2f") if row.bound else ""]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


MODEL_HEADER = ["model (chapter)", "epochs", "minutes", "test ELBO, stochastic", "best bound on log p(x)"]
BENCH_HEADER = ["rank", "estimator", "exact test ELBO (mean)", "seed 0", "seed 1", "exact log p(x)",
                "KL(q ‖ posterior)"]


def _bench_rows(values, show) -> list[list[str]]:
    return [[str(rank), ESTIMATORS[key], show(BENCH, f"{key}_elbo", ".2f"),
             show(BENCH, f"{key}_elbo_0", ".2f"), show(BENCH, f"{key}_elbo_1", ".2f"),
             show(BENCH, f"{key}_log_p", ".2f"), show(BENCH, f"{key}_posterior_kl", ".2f")]
            for rank, key in enumerate(_ranked(values), start=1)]


def results_page(values: dict[str, dict]) -> str:
    """book/results.md: the tables with cross-document glue roles."""
    def show(notebook, key, spec):
        return f"{{glue:text}}`../notebooks/{notebook}.ipynb::{key}:{spec}`"

    return f"""# Results

Every main model the book trains on MNIST (not the side runs: other seeds, and the Qiita article's networks
retrained as VAEs), on one protocol: the test ELBO in nats per image (higher is better) on
the test set's one seeded Bernoulli draw (the stochastic protocol), one latent sample per image and the KL in closed form; the best
bound on $\\log p(x)$ is the importance-weighted bound of the chapter (chapter 1: $k = 200$; chapter 2: $k = 50$; chapter 5:
$k = 1000$), or, for one 10-way code, $\\log p(x)$ itself, summed over the codes; for the VQ-VAE (whose
posterior is a point mass, so its ELBO is the reconstruction plus the log-prior of its codes), its ELBO under
the PixelCNN prior fitted to its codes (its minutes include the PixelCNN's training). Minutes are training time on
two CPU cores of one kind of machine (an AMD EPYC with AVX2); a run's minutes vary from run to run by as
much as many of their differences (chapter 8 times two seeds of each estimator), so compare them loosely. The numbers are inserted from each chapter's run when the book is built.

{_table(MODEL_HEADER, [_cells(row, show) for row in MODELS])}

## Fashion-MNIST

Appendix B trains two of the models on Fashion-MNIST under the same protocol. Its grey clothes leave far
more binarization noise than MNIST's digits, so compare these numbers with each other only. The VQ-VAE's
minutes include its PixelCNN prior's training.

{_table(MODEL_HEADER, [_cells(row, show) for row in FASHION])}

## The discrete estimators, ranked

Chapter 8's bench: one model with 4 variables of 4 classes, the same {show(BENCH, "epochs", "d")} epochs for every
estimator, scored exactly by summing over all 256 codes; ranked by the mean of two seeds, which hides a
failure in one seed: see both.

{_table(BENCH_HEADER, _bench_rows(values, show))}
"""


def readme_section(values: dict[str, dict]) -> str:
    """README's results: the same tables with the values written out."""
    def show(notebook, key, spec):
        return format(values[notebook][key], spec)

    return f"""{BEGIN}
The same tables as the book's results page, from the committed outputs of the chapters that glue their
numbers (stochastic protocol, nats per image, higher is better; minutes on two CPU cores):

{_table(MODEL_HEADER, [_cells(row, show) for row in MODELS])}

Appendix B, the same protocol on Fashion-MNIST (not comparable with MNIST's numbers):

{_table(MODEL_HEADER, [_cells(row, show) for row in FASHION])}

Chapter 8's estimators on one small code (4 × 4, {show(BENCH, "epochs", "d")} epochs, two seeds), scored exactly:

{_table(BENCH_HEADER, _bench_rows(values, show))}
{END}"""


def all_values() -> dict[str, dict]:
    names = {row.notebook for row in MODELS + FASHION} | {BENCH}
    return {name: glued_values(NOTEBOOKS / f"{name}.ipynb") for name in names}


def written() -> tuple[str, str]:
    """(results page, README) as they should be now."""
    values = all_values()
    readme = README.read_text(encoding="utf-8")
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"README.md needs the markers {BEGIN!r} and {END!r} around its results")
    start, stop = readme.index(BEGIN), readme.index(END) + len(END)
    return results_page(values), readme[:start] + readme_section(values) + readme[stop:]


def main(argv: list[str]) -> int:
    page, readme = written()
    if "--check" in argv:
        stale = [path.name for path, text in [(RESULTS_PAGE, page), (README, readme)]
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python .ci/results.py", file=sys.stderr)
        return 1 if stale else 0
    RESULTS_PAGE.write_text(page, encoding="utf-8")
    README.write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
