"""Input text types shared by every domain's schemas.

PostgreSQL text cannot hold NUL bytes and no person types control characters, so text fields refuse them at the
edge with a clear validation error instead of failing deep in the database.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters (such as NUL) are not allowed")
    return value


PlainText = Annotated[str, AfterValidator(_no_control_characters)]


def json_pointer(key: str) -> str:
    """A JSON pointer to a top-level key (any name: `~` and `/` escaped as RFC 6901 says)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")
