"""What the unchanged browser libraries fetch besides the collection API, so a site needs only omnicx.

- `GET /v1/projects/{writeKey}/settings`: analytics.js 2.0 (`@segment/analytics-next`) loads its settings from
  `{cdnURL}/v1/projects/{writeKey}/settings` and sends events where `integrations["Segment.io"]` says.
- `GET /v1/rudderstack/sourceConfig/`: RudderStack's JavaScript SDK (v3) given `configUrl: "{base}/v1/rudderstack"`
  (the key in HTTP Basic auth or `?writeKey=`).
- `POST /beacon/v1/batch?writeKey=`: RudderStack's SDK with `useBeacon: true` sends batches with `sendBeacon`,
  which can set no header: the key is in the address, the body is the `/v1/batch` body as `text/plain`.
- `GET /analytics-next/bundles/{name}` and `GET /sdk/rudder-analytics.js`: the libraries themselves, installed
  from npm at set-up. analytics.js loads its lazy chunks from `{cdnURL}/analytics-next/bundles/`, so the bundle
  lives at the same place as on Segment's CDN.

Write keys are public in pages: the settings reveal only what the library needs to send events (the key it
already holds and where to post), never the source's name, its workspace or any other source. An unknown key is
refused as the collection API refuses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

import omnicx.kernel.web
from omnicx.kernel.errors import DomainError, NotFound
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import RuntimeDep
from omnicx.tracking.collect import CORS, gate, handle, refusal
from omnicx.tracking.wire import basic_auth_user

router = APIRouter(include_in_schema=False)

VENDOR = Path(omnicx.kernel.web.__file__).resolve().parent / "static" / "vendor"
ANALYTICS_NEXT = VENDOR / "@segment" / "analytics-next" / "bundles"
RUDDER_ANALYTICS = VENDOR / "@rudderstack" / "analytics-js" / "rudder-analytics.js"
# Libraries change only when omnicx is upgraded: a day in caches, revalidated by ETag after that.
SCRIPT_CACHE = "public, max-age=86400"
SETTINGS_CACHE = "public, max-age=300"
# Every event enabled: the library drops the events a tracking plan disables.
PLAN = {"track": {"__default": {"enabled": True, "integrations": {}}}}


def _api_host(base_url: str) -> tuple[str, str]:
    """Where the libraries post (`host[:port][/path]/v1`, scheme apart), from the public URL of this omnicx."""
    url = urlsplit(base_url)
    return f"{url.netloc}{url.path.rstrip('/')}/v1", url.scheme or "https"


def segment_settings(runtime: Runtime, write_key: str) -> dict[str, Any]:
    """The settings analytics.js 2.0 needs: send everything to this omnicx, load nothing else, report nothing."""
    api_host, protocol = _api_host(runtime.settings.base_url)
    return {
        "integrations": {"Segment.io": {"apiKey": write_key, "apiHost": api_host, "protocol": protocol}},
        "plan": PLAN,
        "analyticsNextEnabled": True,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "legacyVideoPluginsEnabled": False,
        "remotePlugins": [],
        # Without this the library samples its own error counts to Segment's servers.
        "metrics": {"sampleRate": 0},
    }


def rudder_source_config(source_id: str, write_key: str) -> dict[str, Any]:
    """The source configuration RudderStack's SDK requires: an enabled source without device-mode destinations."""
    source = {"id": source_id, "writeKey": write_key, "enabled": True, "config": {}, "destinations": []}
    return {"isHosted": True, "source": source}


def _json(body: dict[str, Any], cache: str) -> Response:
    return Response(
        orjson.dumps(body), media_type="application/json", headers={**CORS, "Cache-Control": cache}
    )


@router.get("/v1/projects/{write_key}/settings")
def project_settings(write_key: str, runtime: RuntimeDep) -> Response:
    """analytics.js 2.0 settings for a live write key; refused like the collection API otherwise."""
    try:
        gate(runtime, [write_key])
    except DomainError as error:
        return refusal(error)
    return _json(segment_settings(runtime, write_key), SETTINGS_CACHE)


@router.get("/v1/rudderstack/sourceConfig/")
def rudder_config(request: Request, runtime: RuntimeDep) -> Response:
    """RudderStack's source configuration; the key is its HTTP Basic user name or the `writeKey` parameter."""
    write_key = basic_auth_user(request.headers.get("authorization")) or request.query_params.get("writeKey")
    try:
        source = gate(runtime, [write_key] if write_key else [])
    except DomainError as error:
        return refusal(error)
    return _json(rudder_source_config(str(source.id), write_key or ""), SETTINGS_CACHE)


@router.post("/beacon/v1/batch")
async def rudder_beacon(request: Request, runtime: RuntimeDep) -> Response:
    """A batch sent with `sendBeacon` by RudderStack's SDK: stored like `/v1/batch`, keyed by `?writeKey=`."""
    return await handle(request, runtime, None, url_key=request.query_params.get("writeKey"))


def _script(path: Path) -> FileResponse:
    if not path.is_file():
        raise NotFound("this library is not installed (run ./setup)")
    return FileResponse(path, media_type="text/javascript", headers={**CORS, "Cache-Control": SCRIPT_CACHE})


@router.get("/analytics-next/bundles/{name}")
def analytics_next_bundle(name: str) -> FileResponse:
    """analytics.js 2.0 (`index.js`, which defines `AnalyticsNext`) and the chunks it loads on demand."""
    # A path parameter holds no `/`, so only this folder's files can be named (`..` is not a file).
    return _script(ANALYTICS_NEXT / name)


@router.get("/analytics.js/v1/{write_key}/analytics.min.js")
def analytics_js(write_key: str) -> FileResponse:
    """Where Segment's copy-and-paste snippet loads analytics.js from, once its host is omnicx's: the
    standalone build of analytics.js 2.0, which takes the key and the calls the snippet queued, and loads its
    settings and chunks from the host it came from. The key is the snippet's; the file is the same for all."""
    return _script(ANALYTICS_NEXT / "standalone.js")


@router.get("/sdk/rudder-analytics.js")
def rudder_analytics() -> FileResponse:
    """RudderStack's JavaScript SDK v3 with its plugins bundled (defines `rudderanalytics`)."""
    return _script(RUDDER_ANALYTICS)


# `_cdn` is read as the bundle loads: the chunks it loads later come from omnicx too, not from Segment's CDN.
SEGMENT_SNIPPET = """<script>window.analytics = {{ _cdn: "{base}" }};</script>
<script src="{base}/analytics-next/bundles/index.js"></script>
<script>
  window.analytics = AnalyticsNext.AnalyticsBrowser.load(
    {{ writeKey: "{key}", cdnURL: "{base}" }},
    {{ integrations: {{ "Segment.io": {{ apiHost: "{host}/v1", protocol: "{scheme}" }} }} }}
  );
  analytics.page();
</script>"""
# What Segment's snippet does, with omnicx as the host: queue the calls made before the library arrives, then
# load it from the address the snippet uses. A site keeping Segment's own snippet changes its host only; the
# library then finds omnicx from its script's address, which it recognises on https only (hence `_cdn` here).
SEGMENT_CLASSIC_SNIPPET = """<script>
  window.analytics = window.analytics || [];
  ["identify", "track", "page", "screen", "group", "alias", "reset", "ready"].forEach(function (method) {{
    analytics[method] = analytics[method] || function () {{
      analytics.push([method].concat(Array.prototype.slice.call(arguments)));
      return analytics;
    }};
  }});
  analytics._writeKey = "{key}";
  analytics._cdn = "{base}";
  analytics.page();
</script>
<script async src="{base}/analytics.js/v1/{key}/analytics.min.js"></script>"""
RUDDER_SNIPPET = """<script src="{base}/sdk/rudder-analytics.js"></script>
<script>
  window.rudderanalytics = new rudderanalytics.RudderAnalytics();
  rudderanalytics.load("{key}", "{base}", {{ configUrl: "{base}/v1/rudderstack" }});
  rudderanalytics.page();
</script>"""
SWIFT_SNIPPET = """let analytics = Analytics(configuration: Configuration(writeKey: "{key}")
    .apiHost("{host}/v1")
    .cdnHost("{host}/v1"))"""
KOTLIN_SNIPPET = """val analytics = Analytics("{key}", applicationContext) {{
    apiHost = "{host}/v1"
    cdnHost = "{host}/v1"
}}"""


def snippets(*, base_url: str, write_key: str) -> dict[str, str]:
    """The code a site or app adds to send events here, by library, with the key filled in (Settings → Sources
    shows them when a key is created, the one time the key is known)."""
    api_host, scheme = _api_host(base_url)
    host = api_host.removesuffix("/v1")
    fields = {"base": base_url.rstrip("/"), "host": host, "scheme": scheme, "key": write_key}
    return {
        "analytics-next": SEGMENT_SNIPPET.format(**fields),
        "analytics-js": SEGMENT_CLASSIC_SNIPPET.format(**fields),
        "rudderstack": RUDDER_SNIPPET.format(**fields),
        "swift": SWIFT_SNIPPET.format(**fields),
        "kotlin": KOTLIN_SNIPPET.format(**fields),
    }
