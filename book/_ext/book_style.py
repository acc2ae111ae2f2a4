"""Sphinx extension: the book's own stylesheet (``book/_static/book.css``), added to every page."""

from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "_static"


def _add_static_path(app, config) -> None:
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.add_css_file("book.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
