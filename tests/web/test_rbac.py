"""Every route is behind a role check, and every role gets exactly what the permission table allows."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Role, allows
from tests.conftest import World
from tests.helpers import api_routes, fill_path, route_action, session_csrf, sign_in

# Routes anyone may call: probes, sign-in, docs. Everything else must declare an action.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/assets/vega.js"),
    ("GET", "/readyz"),
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", "/api/docs"),
    ("GET", "/api/openapi.json"),
    # Segment-compatible collection API: authenticated by a source's write key, not a member's role.
    ("POST", "/v1/identify"),
    ("POST", "/v1/track"),
    ("POST", "/v1/page"),
    ("POST", "/v1/screen"),
    ("POST", "/v1/group"),
    ("POST", "/v1/alias"),
    ("POST", "/v1/batch"),
    ("POST", "/v1/import"),
    ("OPTIONS", "/v1/{call}"),  # CORS preflight of the collection API
    # Live chat widget: the script, and the visitor's endpoints (widget token + signed visitor id).
    ("GET", "/chat/widget.js"),
    ("OPTIONS", "/chat/{token}/{action}"),
    ("POST", "/chat/{token}/session"),
    ("GET", "/chat/{token}/messages"),
    ("POST", "/chat/{token}/messages"),
    ("GET", "/chat/{token}/stream"),
    # The customer's order page: found only by the order's unguessable token.
    ("GET", "/o/{token}"),
    ("GET", "/o/{token}/live"),
    # Shopify-compatible webhooks: authenticated by the workspace's HMAC signature.
    ("POST", "/webhooks/shopify/{workspace_slug}"),
}
# Streams never end; their authorisation is tested in tests/realtime.
STREAMING = {("GET", "/api/v1/realtime/stream")}


def _routes(app):  # type: ignore[no-untyped-def]
    for route in api_routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            yield method, route


def test_every_route_declares_an_action_or_is_public(app) -> None:  # type: ignore[no-untyped-def]
    unguarded = sorted((method, route.path) for method, route in _routes(app) if route_action(route) is None)
    assert set(unguarded) <= PUBLIC, f"routes without require(...): {set(unguarded) - PUBLIC}"


@pytest.mark.parametrize("role", list(Role))
def test_api_matrix_with_tokens(role: Role, app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    headers = world.token(role)
    for method, route in _routes(app):
        action = route_action(route)
        if action is None or (method, route.path) in STREAMING or not route.path.startswith("/api/"):
            continue
        response = client.request(method, fill_path(route.path, str(uuid.uuid4())), headers=headers, json={})
        if allows(role, action):
            assert response.status_code not in (401, 403), (role, method, route.path, response.text)
            assert response.status_code < 500, (role, method, route.path, response.text)
        else:
            assert response.status_code == 403, (role, method, route.path, response.status_code)
            assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("role", list(Role))
def test_page_matrix_with_browser_session(role: Role, app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.members[role]
    sign_in(client, member.email, member.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    for method, route in _routes(app):
        action = route_action(route)
        if action is None or route.path.startswith("/api/") or route.path in ("/signout",):
            continue
        response = client.request(
            method, fill_path(route.path, str(uuid.uuid4())), headers=headers, follow_redirects=False
        )
        if allows(role, action):
            assert response.status_code not in (401, 403), (role, method, route.path, response.text[:300])
            assert response.status_code < 500, (role, method, route.path, response.text[:300])
        else:
            assert response.status_code == 403, (role, method, route.path, response.status_code)


def test_anonymous_gets_401_on_api_and_a_sign_in_redirect_on_pages(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    for method, route in _routes(app):
        if route_action(route) is None or (method, route.path) in STREAMING:
            continue
        response = client.request(method, fill_path(route.path, str(uuid.uuid4())), follow_redirects=False)
        if route.path.startswith("/api/"):
            assert response.status_code == 401, (method, route.path)
            assert response.json()["code"] == "not_authenticated"
        elif method == "GET":
            assert response.status_code == 303, (method, route.path)
            assert response.headers["location"].startswith("/signin")
        else:
            assert response.status_code in (303, 401, 403), (method, route.path, response.status_code)
