"""No template writes interface text outside gettext: every word a page shows in its own markup goes through
`_()` (and so through the catalogs, whose completeness `test_i18n.py` checks), except proper nouns and format
names. Text inside `<code>`, `<pre>`, `<script>` and `<style>` is code or an example, not prose. Attributes people
read (`title`, `placeholder`, `aria-label`, `alt`) are held to the same rule when they carry prose (two words in a
row); a placeholder may show an example value such as `https://shop.example/cart` or `auth.signed_in`.

The pages' rendered text, data included, is read in the browser by `tests/e2e/test_pages.py`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment

import omnicx

SOURCE = Path(omnicx.__file__).parent
#: Words a page may show untranslated: the product's name, format and protocol names, a key's name.
PROPER = {"omnicx", "CSV", "JSON", "PNG", "SVG", "HTTP", "Enter"}
WORD = re.compile(r"[^\W\d_]{2,}")
PROSE = re.compile(r"[^\W\d_]{2,} [^\W\d_]{2,}")
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
CODE = {"code", "pre", "script", "style"}


class _Text(HTMLParser):
    """The literal text and read attributes of a template whose Jinja parts were removed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside_code = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in CODE:
            self.inside_code += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and PROSE.search(value):
                self.found.append(f"{name}={value!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE:
            self.inside_code -= 1

    def handle_data(self, data: str) -> None:
        if not self.inside_code and set(WORD.findall(data)) - PROPER:
            self.found.append(repr(data.strip()[:80]))


def literal_text(source: str) -> list[str]:
    """What of `source` is written as it stands: Jinja's data tokens only (expressions, `_()` calls and tags
    removed), read as HTML."""
    tokens = Environment(extensions=["jinja2.ext.i18n"]).lex(source)
    parser = _Text()
    parser.feed("".join(value for _, kind, value in tokens if kind == "data"))
    return parser.found


def test_templates_write_no_interface_text_outside_gettext() -> None:
    templates = sorted(SOURCE.rglob("templates/**/*.html"))
    assert len(templates) > 50
    offenders = [
        f"{path.relative_to(SOURCE)}: {text}" for path in templates for text in literal_text(path.read_text())
    ]
    assert not offenders, "\n".join(offenders)


def test_the_check_sees_text_outside_gettext_and_leaves_code_and_examples() -> None:
    assert literal_text('<p>{{ _("Saved") }} Saved</p>') == ["'Saved'"]
    assert literal_text('<button title="Delete it">x</button>') == ["title='Delete it'"]
    assert literal_text('<input placeholder="auth.signed_in"><code>kind=email</code> CSV · omnicx') == []
    assert literal_text("{% if x %}{{ x.name }}{% endif %} <pre>import os</pre>") == []
