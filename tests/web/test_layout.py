"""Layouts that fit their content: a long identifier is cut with an ellipsis and kept whole in its title, and no
style cuts words letter by letter to make a column fit (the browser test, `tests/e2e/test_pages.py`, checks what
the pages look like)."""

from __future__ import annotations

import re
from pathlib import Path

from omnicx.kernel.web.templating import environment

STYLES = Path(__file__).resolve().parents[2] / "src" / "omnicx"


def test_an_identifier_is_cut_on_screen_and_whole_in_its_title() -> None:
    html = environment().from_string("{{ value|ident }}").render(value="anon-<42>@example.com")

    assert html == (
        '<span class="ident" title="anon-&lt;42&gt;@example.com">anon-&lt;42&gt;@example.com</span>'
    )


def test_a_missing_identifier_reads_as_a_dash() -> None:
    template = environment().from_string("{{ none|ident }}|{{ empty|ident }}")

    assert template.render(none=None, empty="") == "—|—"


def test_no_style_breaks_words_anywhere_but_in_secrets() -> None:
    """`word-break: break-all` and `overflow-wrap: anywhere` let a table squeeze a column down to one letter; only
    a secret (one long token, no words) may be cut anywhere."""
    offenders = []
    for path in [*STYLES.rglob("*.css"), *STYLES.rglob("*.html")]:
        if "vendor" in path.parts:
            continue
        text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
        for rule in re.findall(r"([^{}]*)\{([^{}]*)\}", text):
            selector, body = rule
            if (
                re.search(r"word-break:\s*break-all|overflow-wrap:\s*anywhere", body)
                and ".secret" not in selector
            ):
                offenders.append(f"{path.name}: {selector.strip()}")

    assert offenders == []
