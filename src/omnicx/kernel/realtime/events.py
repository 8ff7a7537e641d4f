"""What travels on the realtime bus: one event of one workspace, and the resync marker.

An event is plain data from the moment it is built (its `data` snapshotted to JSON values, its topic a plain
string), so it reaches subscribers identically in this process and through Redis.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.realtime.topics import KernelTopic


def _new_event_id() -> str:
    return str(new_id())


def _json_default(value: object) -> str:
    """Encode the few non-JSON values services naturally hold (ids, times, enums) as strings."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"realtime event data must be JSON-serialisable, got {type(value).__name__}")


@dataclass(frozen=True)
class RealtimeEvent:
    """Something that happened in one workspace, for the screens of members whose role allows `action`.

    `data` is snapshotted to plain JSON values when the event is built, so a publisher that keeps mutating its
    dict changes nothing, and an event reaches subscribers identically through either bus.
    """

    workspace_id: uuid.UUID
    topic: str
    data: dict[str, Any]
    action: str
    id: str = field(default_factory=_new_event_id)
    at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if not self.topic:
            raise ValueError("a realtime event needs a topic")
        # Owners pass their topic enums' members; the event carries the plain string, as it does after Redis.
        object.__setattr__(self, "topic", str(self.topic))
        if self.at.tzinfo is None:
            raise ValueError("realtime event times must be timezone-aware")
        # Unknown actions are refused at the source: no role could ever receive such an event.
        object.__setattr__(self, "action", Action(self.action).value)
        object.__setattr__(self, "data", json.loads(json.dumps(self.data, default=_json_default)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace_id": str(self.workspace_id),
            "topic": self.topic,
            "action": self.action,
            "at": self.at.isoformat(),
            "data": self.data,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RealtimeEvent:
        return cls(
            id=str(raw["id"]),
            workspace_id=uuid.UUID(str(raw["workspace_id"])),
            topic=str(raw["topic"]),
            action=str(raw["action"]),
            at=datetime.fromisoformat(str(raw["at"])),
            data=dict(raw["data"]),
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> RealtimeEvent:
        return cls.from_dict(json.loads(raw))


def resync_event(workspace_id: uuid.UUID, *, reason: str, dropped: int = 0) -> RealtimeEvent:
    """The marker that tells a subscriber it missed events and must reload instead of patching its view."""
    return RealtimeEvent(
        workspace_id=workspace_id,
        topic=KernelTopic.RESYNC,
        data={"reason": reason, "dropped": dropped},
        action=Action.OVERVIEW_READ,
    )
