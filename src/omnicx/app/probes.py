"""Probes owned by the shell itself: is the process alive, is it ready to serve."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from omnicx.app.migrations import is_current
from omnicx.kernel.web.deps import RuntimeDep

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Alive: the process answers (no dependency checked, so orchestrators do not restart on a DB blip)."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready: the database answers and its schema is at the newest migration."""
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(runtime.engine)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    if not current:
        return JSONResponse({"status": "unavailable", "reason": "migrations pending"}, status_code=503)
    return JSONResponse({"status": "ready"})
