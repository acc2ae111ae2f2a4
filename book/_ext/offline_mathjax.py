"""Sphinx extension: ship MathJax with the book so that math renders without a network.

MathJax 3 comes from the PyPI package ``django-static-mathjax`` (its ``es5`` build);
the files are copied to ``_static/mathjax`` and ``mathjax_path`` (set in
``_config.yml``) points at ``mathjax/tex-chtml.js`` under ``_static``.
"""

import shutil
from pathlib import Path


def _mathjax_es5() -> Path:
    try:
        import mathjax
    except ImportError as error:
        raise RuntimeError(
            "MathJax for the offline book comes from the package django-static-mathjax; "
            "install the pinned requirements (bash .ci/setup)"
        ) from error
    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def _copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        shutil.copytree(_mathjax_es5(), Path(app.outdir) / "_static" / "mathjax", dirs_exist_ok=True)


def setup(app):
    _mathjax_es5()  # fail early, with the message above, if MathJax is missing
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
