"""Probes owned by the shell itself: is the process alive, is it ready to serve."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from omnicx.app.migrations import is_current
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs.feed import feed_lag
from omnicx.kernel.web.deps import RuntimeDep
from omnicx.tracking import service as tracking_service

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Alive: the process answers (no dependency checked, so orchestrators do not restart on a DB blip)."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready: the database answers and its schema is at the newest migration. The detail tells how far the
    analytics copy is behind (changes waiting, seconds since the oldest): reports lag by that much; and how far
    event processing is behind (events waiting, seconds the oldest has waited, "behind" past a minute): until
    processed, events are on no timeline. Neither makes the process unready: it still serves and collects."""
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(runtime.engine)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    if not current:
        return JSONResponse({"status": "unavailable", "reason": "migrations pending"}, status_code=503)
    with runtime.sessions() as session:
        pending, oldest = feed_lag(session)
        backlog = tracking_service.processing_backlog(session, workspace_id=None)
    lag = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    analytics = {"pending_changes": pending, "lag_seconds": round(lag, 3)}
    processing = {
        "state": "behind" if backlog.behind else "current",
        "waiting_events": backlog.events,
        "oldest_age_seconds": backlog.oldest_age_seconds,
    }
    return JSONResponse({"status": "ready", "analytics": analytics, "processing": processing})
