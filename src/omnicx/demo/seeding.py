"""The demo world seeded behind a running server: its progress for the pages, and whether it ever finished.

`omnicx demo` answers within seconds: it creates the workspace and its members, starts serving, and seeds the
world (minutes of events, orders and conversations) in a thread beside the server. `BOARD` holds that thread's
progress in this process, for the top bar of every page (`demo/_seeding.html`) and `GET /api/v1/demo/seeding`;
the command's own progress bars read the same callbacks.

A seeding stopped half-way (Ctrl+C, a crash) must not leave a world that looks whole: the data directory keeps
`demo-world.json`, written as seeding starts and marked finished at its end, and the next start finds an
unfinished world and seeds it again from scratch.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from omnicx.demo.enums import SeedingPhase
from omnicx.demo.schemas import SeedingStatus
from omnicx.kernel.i18n import lazy as N_

WORLD_FILE = "demo-world.json"  # in the data directory, next to the sign-ins
#: The phases in their order (`seed_world`'s progress callbacks), each with its share of a medium world's time.
PHASES: dict[SeedingPhase, float] = {
    SeedingPhase.IMPORT: 0.55,
    SeedingPhase.PROCESS: 0.15,
    SeedingPhase.ORDERS: 0.1,
    SeedingPhase.CONVERSATIONS: 0.2,
}

PHASE_LABELS = {
    SeedingPhase.IMPORT: N_("Importing visitor events"),
    SeedingPhase.PROCESS: N_("Resolving identities and sessions"),
    SeedingPhase.ORDERS: N_("Placing and fulfilling orders"),
    SeedingPhase.CONVERSATIONS: N_("Writing conversations"),
}


class Cancelled(Exception):
    """The server stopped while the world was being seeded: the seeding ends where it is."""


@dataclass
class _State:
    workspace_id: uuid.UUID | None = None
    phase: SeedingPhase | None = None
    done: int = 0
    total: int = 0
    started: float = 0.0
    finished: bool = False
    failed: str | None = None


class SeedingBoard:
    """The progress of this process's seeding, safe to read from request threads while the seeder writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._cancel = threading.Event()

    def start(self, workspace_id: uuid.UUID) -> None:
        """A seeding of `workspace_id` begins (a stop asked for before it began still stops it)."""
        with self._lock:
            self._state = _State(workspace_id=workspace_id, started=time.monotonic())

    def reset(self) -> None:
        """Idle again, nothing cancelled."""
        with self._lock:
            self._state = _State()
        self._cancel.clear()

    def update(self, phase: str, done: int, total: int) -> None:
        """`seed_world`'s progress callback; raises `Cancelled` once the server is stopping."""
        if self._cancel.is_set():
            raise Cancelled
        with self._lock:
            self._state.phase = SeedingPhase(phase)
            self._state.done, self._state.total = done, total

    def finish(self, failed: str | None = None) -> None:
        with self._lock:
            self._state.finished, self._state.failed = failed is None, failed

    def cancel(self) -> None:
        self._cancel.set()

    def status(self, workspace_id: uuid.UUID) -> SeedingStatus:
        """What a member of `workspace_id` is told: nothing runs unless this process seeds their workspace."""
        with self._lock:
            state = self._state
            if state.workspace_id != workspace_id:
                return SeedingStatus(state="idle")
            if state.failed is not None:
                return SeedingStatus(state="failed", message=state.failed)
            if state.finished:
                return SeedingStatus(state="done", share=1.0)
            return SeedingStatus(
                state="running",
                phase=state.phase,
                done=state.done,
                total=state.total,
                share=_share(state.phase, state.done, state.total),
                elapsed_seconds=round(time.monotonic() - state.started, 1),
            )


def _share(phase: SeedingPhase | None, done: int, total: int) -> float:
    """How far the whole seeding is: the phases before this one, and this one's part of its own share (the
    processing phase has no known total: it counts as half done while it runs)."""
    if phase is None:
        return 0.0
    before = 0.0
    for name, weight in PHASES.items():
        if name is phase:
            part = 0.5 if phase is SeedingPhase.PROCESS or total <= 0 else min(done / total, 1.0)
            return round(before + weight * part, 3)
        before += weight
    return round(before, 3)


BOARD = SeedingBoard()


def mark_started(data_dir: Path, workspace_id: uuid.UUID) -> None:
    _write(data_dir, {"workspace_id": str(workspace_id), "seeded": False})


def mark_seeded(data_dir: Path, workspace_id: uuid.UUID) -> None:
    _write(data_dir, {"workspace_id": str(workspace_id), "seeded": True})


def unfinished(data_dir: Path) -> bool:
    """Whether a seeding started in this data directory never finished (a data directory from before this
    file existed counts as finished)."""
    try:
        data = json.loads((data_dir / WORLD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("seeded") is False


def _write(data_dir: Path, data: dict[str, object]) -> None:
    path = data_dir / WORLD_FILE
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)  # atomic: a crash leaves the old file or the new one
