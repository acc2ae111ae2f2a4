"""Sphinx extension: the bibliography labels references by author and year ("Jang et al. 2017").

sphinxcontrib-bibtex labels entries with pybtex's ``alpha`` style by default ("[JGP17]"), which tells a
reader nothing. This registers a pybtex style, ``authoryear``, that ``_config.yml`` selects with
``bibtex_default_style``.
"""

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle


def _surname(person) -> str:
    return Text.from_latex(" ".join(person.prelast_names + person.last_names)).render_as("text")


def _authors(entry) -> str:
    people = entry.persons.get("author", [])
    if not people:
        return entry.fields.get("howpublished", entry.key)
    if len(people) == 1:
        return _surname(people[0])
    if len(people) == 2:
        return f"{_surname(people[0])} and {_surname(people[1])}"
    return f"{_surname(people[0])} et al."


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            if "shorthand" in entry.fields:  # a name the book gives the entry, e.g. "Qiita article"
                yield entry.fields["shorthand"]
            else:
                yield f"{_authors(entry)} {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = "author_year_title"


def setup(app):
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
