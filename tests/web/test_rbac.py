"""Every route is behind a role check, and every role gets exactly what the reviewed route table allows.

`route_actions.txt` beside this file is the reviewed table: one line per method and path with the action it
requires (or `public`). The app must match it exactly, so a new route, a dropped gate or a write route switched
to a read action shows in the diff of that file and fails here until someone reviews it. The matrix tests then
take each route's expected answer from the table, not from what the route declares about itself.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Action, Role, allows
from tests.conftest import World
from tests.helpers import api_routes, fill_path, route_action, session_csrf, sign_in

TABLE = Path(__file__).with_name("route_actions.txt")
PUBLIC = "public"
# Streams never end; their authorisation is tested in tests/realtime.
CONVERTER = re.compile(r":\w+}")  # `{sku:path}` is documented as `{sku}`
STREAMING = {("GET", "/api/v1/realtime/stream")}
# Writes a viewer may make: the only action they hold that a non-GET route may require is their own account's.
VIEWER_WRITES = {Action.OWN_ACCOUNT}
# POSTs that change nothing (a computation on the request body), so a read action is right for them.
READ_ONLY_POSTS = {("POST", "/api/v1/tracking/channel-rules/classify")}


def reviewed_table() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for line in TABLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            method, path, action = line.split()
            table[(method, path)] = action
    return table


def served_table(app: FastAPI) -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for route in api_routes(app):
        action = route_action(route)
        for method in route.methods - {"HEAD"}:
            table[(method, route.path)] = action.value if action else PUBLIC
    return table


def _gated(app: FastAPI) -> list[tuple[str, str, Action]]:
    """The gated routes with the action the reviewed table says they need."""
    return [
        (m, p, Action(a))
        for (m, p), a in sorted(reviewed_table().items())
        if a != PUBLIC and (m, p) in served_table(app)
    ]


def test_the_route_walker_sees_every_operation_the_app_documents(app: FastAPI) -> None:
    served = {(method, CONVERTER.sub("}", path)) for method, path in served_table(app)}
    documented = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    assert documented, "the app documents no operation"
    assert documented <= served, f"routes the walker misses: {sorted(documented - served)}"
    assert len(served) > len(documented)  # pages and the collection API are served too, outside the schema


def test_served_routes_match_the_reviewed_table(app: FastAPI) -> None:
    served, reviewed = served_table(app), reviewed_table()
    changed = sorted(
        f"{m} {p}: served {served.get((m, p), '-')}, reviewed {reviewed.get((m, p), '-')}"
        for (m, p) in set(served) | set(reviewed)
        if served.get((m, p)) != reviewed.get((m, p))
    )
    assert not changed, "update tests/web/route_actions.txt after review:\n" + "\n".join(changed)


def test_no_write_is_gated_by_an_action_a_viewer_holds() -> None:
    loose = [
        f"{method} {path} ({action})"
        for (method, path), action in reviewed_table().items()
        if method != "GET"
        and action != PUBLIC
        and (method, path) not in READ_ONLY_POSTS
        and allows(Role.VIEWER, Action(action))
        and Action(action) not in VIEWER_WRITES
    ]
    assert not loose, loose


@pytest.mark.parametrize("role", list(Role))
def test_api_matrix_with_tokens(role: Role, app: FastAPI, client: TestClient, world: World) -> None:
    headers = world.token(role)
    checked = 0
    for method, path, action in _gated(app):
        if (method, path) in STREAMING or not path.startswith("/api/"):
            continue
        response = client.request(method, fill_path(path, str(uuid.uuid4())), headers=headers, json={})
        checked += 1
        if allows(role, action):
            assert response.status_code not in (401, 403), (role, method, path, response.text)
            assert response.status_code < 500, (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert response.json()["code"] == "permission_denied"
    assert checked > 50


@pytest.mark.parametrize("role", list(Role))
def test_page_matrix_with_browser_session(role: Role, app: FastAPI, client: TestClient, world: World) -> None:
    member = world.members[role]
    sign_in(client, member.email, member.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    checked = 0
    for method, path, action in _gated(app):
        if path.startswith("/api/") or path in ("/signout",):
            continue
        response = client.request(
            method, fill_path(path, str(uuid.uuid4())), headers=headers, follow_redirects=False
        )
        checked += 1
        if allows(role, action):
            assert response.status_code not in (401, 403), (role, method, path, response.text[:300])
            assert response.status_code < 500, (role, method, path, response.text[:300])
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
    assert checked > 50


def test_anonymous_gets_401_on_api_and_a_sign_in_redirect_on_pages(app: FastAPI, client: TestClient) -> None:
    for method, path, _action in _gated(app):
        if (method, path) in STREAMING:
            continue
        response = client.request(method, fill_path(path, str(uuid.uuid4())), follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
            assert response.json()["code"] == "not_authenticated"
        elif method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/signin")
        else:
            assert response.status_code in (303, 401, 403), (method, path, response.status_code)
