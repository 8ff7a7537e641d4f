"""The vocabularies auth shares with other domains and its pages."""

from __future__ import annotations

from enum import StrEnum


class AuthTopic(StrEnum):
    """Realtime topics auth publishes after commit."""

    AUDIT_RECORDED = "audit.recorded"
    """An audit entry was written: `action`, `actor`."""
