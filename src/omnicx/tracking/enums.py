"""The vocabularies tracking shares with other domains and its pages."""

from __future__ import annotations

from enum import StrEnum


class TrackingTopic(StrEnum):
    """Realtime topics tracking publishes after commit."""

    EVENTS = "tracking.events"
    """A collection request was stored: `source_id`, `accepted`, `rejected`."""
