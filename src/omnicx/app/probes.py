"""Probes and assets owned by the shell itself: health checks and the Vega bundle charts are drawn with."""

from __future__ import annotations

from functools import cache

import vl_convert
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
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


@router.get("/assets/vega.js", include_in_schema=False)
def vega_bundle() -> Response:
    """Vega, Vega-Lite and vega-embed, as bundled by vl-convert (served by omnicx itself: no CDN)."""
    return Response(
        _vega_bundle(), media_type="text/javascript", headers={"cache-control": "public, max-age=86400"}
    )


VEGA_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@cache
def _vega_bundle() -> str:
    bundle: str = vl_convert.javascript_bundle(VEGA_GLOBALS)
    return bundle
