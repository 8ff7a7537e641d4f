"""Named values of the demo."""

from __future__ import annotations

from enum import StrEnum


class SeedingPhase(StrEnum):
    """The seeding's phases, in their order."""

    IMPORT = "import"
    PROCESS = "process"
    ORDERS = "orders"
    CONVERSATIONS = "conversations"
