"""Server-rendered pages: one Jinja2 environment over every domain's `templates/` folder.

`render()` adds what every page needs (caller, navigation, CSRF token, language, formatting helpers), so page
handlers stay as thin as API routes.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from omnicx import __version__
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import csrf_token
from omnicx.kernel.i18n import (
    LANGUAGES,
    current_language,
    format_locale,
    gettext,
    ngettext,
    pgettext,
    set_language,
)
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n.formats import (
    chart_locale,
    clock,
    format_ago,
    format_count,
    format_fraction,
    format_money,
    format_share,
)
from omnicx.kernel.web.deps import PRE_SESSION_COOKIE, SESSION_COOKIE
from omnicx.kernel.web.labels import role_label
from omnicx.kernel.web.nav import MAIN, PARTS, SETTINGS, visible

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def template_dirs() -> list[Path]:
    """The shared templates first, then each domain's and kernel package's own folder."""
    shared = PACKAGE_ROOT / "kernel" / "web" / "templates"
    owned = [*PACKAGE_ROOT.glob("*/templates"), *PACKAGE_ROOT.glob("kernel/*/templates")]
    return [shared, *sorted(p for p in owned if p != shared)]


def _format_dt(value: datetime | None, tz: str = "UTC", fmt: str = "medium") -> str:
    if value is None:
        return "—"
    return babel_format_datetime(value, fmt, tzinfo=ZoneInfo(tz), locale=format_locale(current_language()))


def _format_number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=format_locale(current_language()))


def _format_count(value: float | int | None) -> str:
    """A whole count in the page's language, never with decimals ("581", not "581.0")."""
    return format_count(value, language=current_language())


def _format_fraction(value: float | None, digits: int = 2) -> str:
    """A fractional figure (a model's credit) with `digits` decimals in the page's language ("4.609,38" in
    Catalan)."""
    return format_fraction(value, language=current_language(), digits=digits)


def _format_money(value: float | None, currency: str | None) -> str:
    """An amount (major units) in `currency` as the page's language writes money."""
    return format_money(value, currency, language=current_language())


def _format_percent(value: float | None, digits: int = 1) -> str:
    """A share (0.25) as the page's language writes a percentage, to a tenth by default ("25,0 %" in French)."""
    return format_share(value, language=current_language(), digits=digits)


def _format_duration(seconds: float | None, granularity: Literal["second", "minute"] = "minute") -> str:
    """A length of time as people say it ("2 hr", "3 days"), in the page's language; waits measured in seconds
    (a queue's oldest item) ask for `granularity="second"`, or every wait under a minute would read "1 min"."""
    if seconds is None:
        return "—"
    return format_timedelta(
        timedelta(seconds=seconds),
        granularity=granularity,
        format="short",
        locale=format_locale(current_language()),
    )


def _format_ago(value: datetime | None) -> str:
    """How long ago `value` was ("5 min"), in the page's language."""
    return format_ago(value, now=datetime.now(UTC), language=current_language())


def _identifier(value: object) -> Markup:
    """A long identifier (an anonymous id, a message id, an email address, a URL) on one line, cut with an ellipsis
    where its column or card ends; the whole value shows on hover and stays whole for copying and screen readers."""
    if value is None or value == "":
        return Markup("—")
    text = escape(str(value))
    return Markup('<span class="ident" title="{0}">{0}</span>').format(text)


STATUS_LABELS = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "succeeded": N_("Succeeded"),
    "dead": N_("Dead"),
}


def status_label(status: object) -> str:
    key = str(getattr(status, "value", status))
    return STATUS_LABELS.get(key, key)


@cache
def _chart_locale_json(language: str) -> str:
    """The language's chart locales as every page's `data-chart-locale` carries them (made once per language)."""
    return json.dumps(chart_locale(language), ensure_ascii=False)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in template_dirs()]),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext
    )
    env.filters["datetime"] = _format_dt
    env.filters["number"] = _format_number
    env.filters["count"] = _format_count
    env.filters["fraction"] = _format_fraction
    env.filters["money"] = _format_money
    env.filters["percent"] = _format_percent
    env.filters["duration"] = _format_duration
    env.filters["ago"] = _format_ago
    env.filters["ident"] = _identifier
    env.globals["version"] = __version__
    env.globals["role_label"] = role_label
    env.globals["status_label"] = status_label
    env.globals["clock"] = lambda: clock(current_language())
    env.globals["chart_locale"] = lambda: _chart_locale_json(current_language())
    return env


def add_filter(name: str, function: Callable[..., Any]) -> None:
    """A filter a domain offers every page's templates (the wiring registers it: the kernel imports no domain).
    Safe to call again: the name is replaced."""
    environment().filters[name] = function


def page_csrf_token(request: Request) -> str:
    """The CSRF token for forms on this page: bound to the session cookie, or to a pre-session cookie."""
    secret: str = request.app.state.runtime.settings.resolved_secret_key
    anchor = request.cookies.get(SESSION_COOKIE) or getattr(request.state, "pre_session", None)
    if anchor is None:
        anchor = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(24)
        request.state.pre_session = anchor
    return csrf_token(secret, anchor)


def _context(request: Request, extra: dict[str, Any]) -> dict[str, Any]:
    principal: Principal | None = getattr(request.state, "principal", None)
    user = getattr(request.state, "user", None)
    if user is not None and getattr(user, "language", None):
        set_language(user.language)
    context: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "user": getattr(request.state, "user", None),
        "workspace": getattr(request.state, "workspace", None),
        "workspaces": getattr(request.state, "workspaces", []),
        "nav": visible(MAIN, principal.role) if principal else [],
        "settings_nav": visible(SETTINGS, principal.role) if principal else [],
        "frame_parts": visible(PARTS, principal.role) if principal else [],
        "csrf_token": page_csrf_token(request),
        "lang": current_language(),
        "languages": LANGUAGES,
        "tz": getattr(request.state, "timezone", "UTC"),
        "path": request.url.path,
        # Whether the caller may do an action: a page shows a link only to those it would not refuse.
        "allowed": lambda action: principal is not None and allows(principal.role, Action(action)),
    }
    context.update(extra)
    return context


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    html = environment().get_template(template).render(_context(request, context or {}))
    response = HTMLResponse(html, status_code=status)
    pre = getattr(request.state, "pre_session", None)
    if pre and not request.cookies.get(PRE_SESSION_COOKIE):
        response.set_cookie(PRE_SESSION_COOKIE, pre, httponly=True, samesite="lax")
    return response


def render_document(template: str, context: dict[str, Any]) -> str:
    """A standalone document (a report to print) in the current language: no page frame, no request."""
    return environment().get_template(template).render({"lang": current_language(), **context})


def render_error(request: Request, *, status: int, code: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "code": code, "message": message}, status=status)
