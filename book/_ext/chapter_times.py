"""Sphinx extension: what the book knows about its chapters, read from the notebooks themselves.

- The ``chapter-times`` directive: the table of each chapter's reading time (its prose at
  ``WORDS_PER_MINUTE``, code and outputs not counted) and its measured full-run time. ``.ci/execute``
  records how long each full run took in the notebook's metadata (``vaecore.run_seconds``), so the table
  cannot disagree with the chapters; a total row sums the runs.
- The ``ch`` role: ``chapter {ch}`03_categorical_failure``` renders "chapter 3", the number taken from the
  notebook's title and linked to it, so prose never types a chapter's number (renumbering the titles
  renumbers every reference). A name that is no notebook fails the build.
"""

import json
from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.util.docutils import SphinxDirective


def _title(notebook: dict) -> str:
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.startswith("# "):
            return source.splitlines()[0][2:].strip()
    return "?"


WORDS_PER_MINUTE = 200


def _reading_minutes(notebook: dict) -> int:
    words = sum(len("".join(cell["source"]).split()) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    return max(1, round(words / WORDS_PER_MINUTE))


def _table(rows: list[tuple[str, ...]]) -> nodes.table:
    table, group = nodes.table(), nodes.tgroup(cols=3)
    table += group
    group += [nodes.colspec(colwidth=3), nodes.colspec(colwidth=1), nodes.colspec(colwidth=1)]
    head, body = nodes.thead(), nodes.tbody()
    group += [head, body]
    for section, cells in ((head, [("chapter", "reading", "full run on 2 CPU cores")]), (body, rows)):
        for texts in cells:
            row = nodes.row()
            for text in texts:
                entry = nodes.entry()
                entry += nodes.paragraph(text=text)
                row += entry
            section += row
    return table


class ChapterTimes(SphinxDirective):
    def run(self):
        rows, total, reading = [], 0.0, 0
        for path in sorted((Path(self.env.srcdir) / "notebooks").glob("*.ipynb")):
            self.env.note_dependency(str(path))
            notebook = json.loads(path.read_text(encoding="utf-8"))
            seconds = notebook.get("metadata", {}).get("vaecore", {}).get("run_seconds")
            total += seconds or 0.0
            reading += _reading_minutes(notebook)
            rows.append((_title(notebook), f"{_reading_minutes(notebook)} min",
                         "not recorded" if seconds is None else f"{seconds / 60:.1f} min"))
        rows.append(("all chapters and appendices", f"{reading} min", f"{total / 60:.0f} min"))
        return [_table(rows)]


def chapter_number(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{ch}`<notebook stem>``` -> the chapter's number ("3", "A"), linked to the chapter."""
    env = inliner.document.settings.env
    stem = text.strip()
    path = Path(env.srcdir) / "notebooks" / f"{stem}.ipynb"
    if not path.is_file():
        message = inliner.reporter.error(f"{{ch}} names {stem!r}, but there is no notebooks/{stem}.ipynb",
                                         line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    env.note_dependency(str(path))
    number = _title(json.loads(path.read_text(encoding="utf-8"))).split(".", 1)[0]
    link = pending_xref(rawtext, refdomain="std", reftype="doc", reftarget=f"/notebooks/{stem}",
                        refexplicit=True, refwarn=True, refdoc=env.docname)
    link += nodes.inline(number, number)
    return [link], []


def setup(app):
    app.add_directive("chapter-times", ChapterTimes)
    app.add_role("ch", chapter_number)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
