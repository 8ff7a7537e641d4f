"""The FastAPI application factory.

`create_app(settings)` wires one runtime (database, bus), the error mapping, middleware, static files and every
domain's API router and pages. Domains are listed explicitly below: reading this file tells what omnicx serves.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from omnicx import __version__
from omnicx.analytics import routes as analytics_routes
from omnicx.analytics import views as analytics_views
from omnicx.app import probes
from omnicx.app.openapi import install_openapi
from omnicx.app.wiring import wire
from omnicx.attribution import routes as attribution_routes
from omnicx.attribution import views as attribution_views
from omnicx.auth import account_links as auth_account_links
from omnicx.auth import routes as auth_routes
from omnicx.auth import views as auth_views
from omnicx.channels.chat import routes as chat_routes
from omnicx.channels.meta import routes as meta_routes
from omnicx.channels.sms import routes as sms_routes
from omnicx.channels.telegram import routes as telegram_routes
from omnicx.channels.webpush import routes as webpush_routes
from omnicx.channels.webpush import site as webpush_site
from omnicx.channels.webpush import views as webpush_views
from omnicx.channels.whatsapp import routes as whatsapp_routes
from omnicx.commerce import routes as commerce_routes
from omnicx.commerce import views as commerce_views
from omnicx.commerce.views import appointments as commerce_appointments
from omnicx.commerce.views import reviews as commerce_reviews
from omnicx.customers import routes as customers_routes
from omnicx.customers import views as customers_views
from omnicx.demo import routes as demo_routes
from omnicx.demo import views as demo_views
from omnicx.feedback import routes as feedback_routes
from omnicx.feedback import views as feedback_views
from omnicx.identity import routes as identity_routes
from omnicx.inbox import routes as inbox_routes
from omnicx.inbox.views import availability as inbox_availability
from omnicx.inbox.views import conversation as inbox_conversation
from omnicx.inbox.views import listing as inbox_listing
from omnicx.inbox.views import notifications as inbox_notifications
from omnicx.inbox.views import reports as inbox_reports
from omnicx.inbox.views import settings_canned as inbox_settings_canned
from omnicx.inbox.views import settings_inboxes as inbox_settings_inboxes
from omnicx.inbox.views import settings_sla as inbox_settings_sla
from omnicx.journeys import routes as journeys_routes
from omnicx.journeys import views as journeys_views
from omnicx.kernel.jobs import routes as jobs_routes
from omnicx.kernel.jobs import views as jobs_views
from omnicx.kernel.jobs.worker import start_worker_thread
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from omnicx.kernel.web import stream as realtime_stream
from omnicx.kernel.web.errors import install_error_handlers
from omnicx.kernel.web.limits import LimitRule, RateLimitMiddleware
from omnicx.kernel.web.middleware import BodyLimitMiddleware, LanguageMiddleware, SecurityHeadersMiddleware
from omnicx.kernel.web.proxies import TrustedProxies, TrustedProxyMiddleware
from omnicx.overview import routes as overview_routes
from omnicx.overview import views as overview_views
from omnicx.ownership import routes as ownership_routes
from omnicx.ownership import views as ownership_views
from omnicx.tracking import collect as tracking_collect
from omnicx.tracking import routes as tracking_routes
from omnicx.tracking import sdk as tracking_sdk
from omnicx.tracking import views as tracking_views

STATIC_DIR = Path(__file__).resolve().parent.parent / "kernel" / "web" / "static"
log = logging.getLogger("omnicx.kernel.web")

# Added to the 429 answers of the cross-origin APIs, so that the sites calling them can read when to retry.
PUBLIC_CORS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "Retry-After"))

API_DESCRIPTION = """
omnicx REST API. Authenticate with an API token (`Authorization: Bearer omx_...`, created under Settings → API
tokens or with `omnicx token create`). Errors are always `{"code": "...", "message": "..."}` with a stable code.
"""


def _lifespan(runtime: Runtime, owns_runtime: bool):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = start_worker_thread(runtime) if runtime.settings.run_worker_in_process else None
        try:
            yield
        finally:
            if worker is not None:
                thread, stop = worker
                stop.set()
                thread.join(timeout=10)
            if owns_runtime:
                runtime.close()

    return lifespan


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings()
    owns_runtime = runtime is None
    runtime = runtime or build_runtime(settings)
    app = FastAPI(
        title="omnicx",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=_lifespan(runtime, owns_runtime),
    )
    app.state.runtime = runtime
    wire()
    install_error_handlers(app, repeat_interval=settings.error_log_interval_seconds)
    app.add_middleware(SecurityHeadersMiddleware, https=settings.base_url.startswith("https://"))
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(LanguageMiddleware, default=settings.default_language)
    # Outermost: refused before anything else runs, counted by the real client address.
    app.add_middleware(RateLimitMiddleware, limiter=runtime.limiter, rules=_limit_rules(settings))
    if settings.trusted_proxies:
        proxies = TrustedProxies(settings.trusted_proxy_networks)
        app.add_middleware(TrustedProxyMiddleware, proxies=proxies)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
    for router in (
        # First: routes are matched in order, and the collection API (every event of every site and app) and
        # the chat widget's public API take the busiest traffic.
        tracking_collect.router,
        chat_routes.router,
        sms_routes.router,
        whatsapp_routes.router,
        meta_routes.messenger_router,
        meta_routes.instagram_router,
        telegram_routes.router,
        webpush_site.router,
        probes.router,
        overview_routes.router,
        overview_views.router,
        auth_routes.router,
        auth_views.router,
        auth_account_links.router,
        jobs_routes.router,
        jobs_views.router,
        realtime_stream.router,
        tracking_sdk.router,
        tracking_routes.router,
        tracking_views.router,
        customers_routes.router,
        customers_views.router,
        identity_routes.router,
        feedback_routes.router,
        feedback_routes.site,
        feedback_views.router,
        ownership_routes.router,
        ownership_views.router,
        commerce_routes.router,
        commerce_routes.webhooks,
        commerce_routes.shop,
        commerce_views.router,
        commerce_reviews.router,
        commerce_appointments.router,
        inbox_routes.router,
        inbox_listing.router,
        inbox_conversation.router,
        inbox_reports.router,
        inbox_notifications.router,
        inbox_availability.router,
        inbox_settings_inboxes.router,
        inbox_settings_sla.router,
        inbox_settings_canned.router,
        webpush_routes.router,
        webpush_views.router,
        attribution_routes.router,
        attribution_views.router,
        journeys_routes.router,
        journeys_views.router,
        analytics_routes.router,
        analytics_views.router,
        demo_routes.router,
        demo_views.router,
    ):
        app.include_router(router)
    _add_docs(app)
    install_openapi(app)
    return app


def _limit_rules(settings: Settings) -> list[LimitRule]:
    """The public surfaces limited before routing. `/v1/*` is limited per write key where the key is known
    (`tracking.collect`), `/signin` per address by a dependency of its route (answered with a page)."""
    return [
        LimitRule("v1", "/v1/", per_address=settings.rate("v1_per_address"), headers=PUBLIC_CORS),
        # RudderStack's sendBeacon batches: the same collection API at another address.
        LimitRule("v1", "/beacon/v1/", per_address=settings.rate("v1_per_address"), headers=PUBLIC_CORS),
        LimitRule(
            "chat",
            "/chat/",
            per_address=settings.rate("chat_per_address"),
            per_key=settings.rate("chat_per_key"),
            key=_chat_widget,
            headers=PUBLIC_CORS,
        ),
        LimitRule(
            "webpush",
            "/channels/webpush/",
            per_address=settings.rate("webpush_per_address"),
            headers=PUBLIC_CORS,
        ),
    ]


def _chat_widget(path: str) -> str | None:
    """The widget token of a `/chat/{token}/{action}` path."""
    parts = path.split("/", 4)
    return parts[2] if len(parts) >= 4 and parts[2] else None


def _add_docs(app: FastAPI) -> None:
    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        response = get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="omnicx API",
            swagger_js_url="/static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )
        response.headers["content-security-policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:"
        )
        return response
