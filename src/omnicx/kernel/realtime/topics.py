"""The kernel's own realtime topics. Each domain names its topics in its `enums` (e.g. `CommerceTopic`).

A topic is the SSE `event:` name browsers listen to, dot-separated with the owner first, so a subscriber can
ask for a whole family by prefix (`?topics=commerce`). The bus carries topics as plain strings: a `StrEnum`
member is one, so every owner's enum fits without the kernel knowing it.
"""

from __future__ import annotations

from enum import StrEnum


class KernelTopic(StrEnum):
    RESYNC = "realtime.resync"
    """Events were missed (slow reader, broker reconnect, reconnecting client): reload what is shown."""
    JOB_DEAD = "job.dead"
    """A background job failed for good and went to the dead letter."""
