"""Test helpers: signing a browser client in, reading CSRF tokens, walking routes, proving a domain, serving an
ASGI app over real HTTP."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import csrf_token
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.web.deps import SESSION_COOKIE, required_action
from omnicx.ownership import service as ownership_service
from omnicx.ownership.enums import ClaimKind

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# Debian's Chromium (Playwright cannot download its own here), without the sandbox a container lacks.
CHROMIUM = os.environ.get("OMNICX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")


@contextmanager
def chromium_browser(*extra_args: str) -> Iterator[Browser]:
    """A headless Chromium for browser tests, closed afterwards; `extra_args` are added to the usual flags."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()


def prove_domain(session: Session, principal: Principal, domain: str, dns: StaticResolver) -> None:
    """Prove `domain` for the principal's workspace the way an operator does: claim it, publish the TXT record
    it asks for (in the test's DNS), have omnicx check it."""
    claim = ownership_service.start_claim(
        session, principal=principal, kind=ClaimKind.EMAIL_DOMAIN, value=domain
    )
    assert claim.dns_record is not None
    dns.txt(domain, claim.dns_record)
    ownership_service.check_dns(session, principal=principal, claim_id=claim.id, resolver=dns)


def page_csrf(client: TestClient, path: str = "/signin") -> str:
    response = client.get(path)
    match = CSRF_INPUT.search(response.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str) -> None:
    token = page_csrf(client)
    response = client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get(SESSION_COOKIE)


def session_csrf(client: TestClient, secret: str) -> dict[str, str]:
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return {"X-CSRF-Token": csrf_token(secret, cookie)}


def _walk(dependant: Any) -> list[Action]:
    found: list[Action] = []
    for dep in dependant.dependencies:
        action = required_action(dep.call)
        if action is not None:
            found.append(action)
        found.extend(_walk(dep))
    return found


def route_action(route: APIRoute) -> Action | None:
    actions = _walk(route.dependant)
    return actions[0] if actions else None


def api_routes(app: FastAPI) -> list[APIRoute]:
    """Every endpoint the app serves, whether FastAPI keeps included routers' routes flat (up to 0.164) or
    wraps each included router in a route of its own holding `original_router` (0.165)."""
    return list(_flatten(app.routes))


def _flatten(routes: list[Any]) -> Any:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _flatten(route.original_router.routes)


def fill_path(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


EXPORT_NAV = re.compile(r'<nav class="exports"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')


def follow_export_links(client: TestClient, html: str) -> list[str]:
    """Download every export link of a report page (as its signed-in reader would); returns the links, after
    checking each answers 200 with a body."""
    links = [h.replace("&amp;", "&") for nav in EXPORT_NAV.findall(html) for h in HREF.findall(nav)]
    for link in links:
        response = client.get(link)
        assert response.status_code == 200 and response.content, (
            link,
            response.status_code,
            response.text[:200],
        )
    return links


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ThreadServer:
    """uvicorn serving `app` on a loopback port from a background thread (no signal handlers there)."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn did not start in time"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
        assert not self.thread.is_alive(), "uvicorn did not stop"
