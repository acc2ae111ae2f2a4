"""What a chapter puts on its page besides figures: numbers for its prose, and the code it teaches.

``glue`` stores a value in the cell's output under a name, the way myst-nb's ``glue`` does (the
same MIME bundle and ``scrapbook`` metadata), so that the book's prose can insert it with
``{glue:text}`name:.2f``` and a re-execution updates the sentence. It needs no myst-nb: a reader
running a chapter without the book's tools sees nothing change.
"""

from __future__ import annotations

import numbers

GLUE_PREFIX = "application/papermill.record/"


def glue(name: str, value) -> None:
    """Record ``value`` (a number or a string) under ``name`` for the prose, without displaying it."""
    if not isinstance(name, str) or not name.replace("_", "").isalnum():
        raise ValueError(f"glue name {name!r} must be letters, digits and underscores, e.g. 'test_elbo'")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    elif isinstance(value, numbers.Real):
        value = float(value)
    elif not isinstance(value, str):
        raise ValueError(f"glue value for {name!r} must be a number or a string, got {type(value).__name__}; "
                         "convert it first, e.g. float(x) or f'{x:.2f}'")
    from IPython import display  # present wherever a notebook runs; not needed to import vaecore

    display.display({GLUE_PREFIX + "text/plain": repr(value)}, raw=True,
                    metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}})
