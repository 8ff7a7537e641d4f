"""Query and form values as the inbox's pages read them."""

from __future__ import annotations

import uuid


def optional_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
