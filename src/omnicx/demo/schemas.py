"""Contracts of the demo: the progress of a world being seeded behind the running server."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from omnicx.demo.enums import SeedingPhase


class SeedingStatus(BaseModel):
    """Whether the demo world of the caller's workspace is being seeded by this server, and how far it is."""

    state: Literal["idle", "running", "done", "failed"] = Field(
        description="idle: no seeding runs here for this workspace; running; done; failed (see message)"
    )
    phase: SeedingPhase | None = None
    done: int = Field(0, description="items of the phase done (events, jobs, orders, conversations)")
    total: int = Field(0, description="items of the phase in all (as many as done while processing)")
    share: float = Field(0.0, ge=0.0, le=1.0, description="how far the whole seeding is, 0 to 1")
    elapsed_seconds: float = 0.0
    message: str | None = None
