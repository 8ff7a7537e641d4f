"""Every page works under the app's Content-Security-Policy (`script-src 'self'`): no template carries an inline
event handler, a `javascript:` address or an inline script, which the browser would refuse to run (the stock
lookup's `onsubmit` did: pressing Enter reloaded the page)."""

from __future__ import annotations

import re
from pathlib import Path

import omnicx

SOURCE = Path(omnicx.__file__).parent
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def templates() -> list[Path]:
    return sorted(SOURCE.rglob("templates/**/*.html"))


def test_no_template_needs_what_the_policy_refuses() -> None:
    found = templates()
    assert len(found) > 50
    offenders = [
        f"{path.relative_to(SOURCE)}: {pattern.pattern}"
        for path in found
        for pattern in (INLINE_HANDLER, JAVASCRIPT_URL, INLINE_SCRIPT)
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "\n".join(offenders)
