"""Bad input gets a clear, structured 4xx; never a 500, never a stack trace."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from omnicx.app.web import create_app
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from tests.conftest import PASSWORD, World
from tests.helpers import page_csrf

# Fixed, so parallel test workers collect identical parameters.
UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        (
            "POST",
            "/api/v1/teams",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "invalid_json",
        ),
        ("POST", "/api/v1/teams", {"json": {"name": 42}}, 422, "invalid_request"),
        ("POST", "/api/v1/teams", {"json": {"name": ""}}, 422, "invalid_request"),
        ("POST", "/api/v1/tokens", {"json": {"name": "x", "role": "emperor"}}, 422, "invalid_request"),
        ("PATCH", "/api/v1/members/not-a-uuid", {"json": {"role": "viewer"}}, 422, "invalid_request"),
        ("GET", f"/api/v1/teams/{UNKNOWN}", {}, 404, "team_not_found"),
        ("DELETE", f"/api/v1/tokens/{UNKNOWN}", {}, 404, "token_not_found"),
        ("GET", "/api/v1/audit?limit=100000", {}, 422, "invalid_request"),
        ("GET", "/api/v1/nothing-here", {}, 404, "not_found"),
        ("PUT", "/api/v1/teams", {"json": {}}, 405, "method_not_allowed"),
        ("POST", "/api/v1/teams", {"json": {"name": "nul\u0000byte"}}, 422, "invalid_request"),
        ("GET", "/api/v1/audit?action=a%00b", {}, 422, "invalid_request"),
        (
            "POST",
            "/api/v1/teams",
            {"content": b"x" * (4 * 1024 * 1024 + 1), "headers": {"content-type": "application/json"}},
            413,
            "payload_too_large",
        ),
    ],
)
def test_bad_input_is_a_structured_4xx(
    client: TestClient,
    world: World,
    method: str,
    path: str,
    kwargs: dict,
    status: int,
    code: str,  # type: ignore[type-arg]
) -> None:
    headers = {**world.token(Role.OWNER), **kwargs.pop("headers", {})}
    response = client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert "Traceback" not in response.text


def test_chunked_oversize_body_is_refused(client: TestClient, world: World) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"x" * (1024 * 1024)

    response = client.post("/api/v1/teams", content=chunks(), headers=world.token(Role.OWNER))
    assert response.status_code == 413


def test_html_pages_get_an_error_page_not_json(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "not_found" in response.text


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {
        "status": "ready",
        "analytics": {"pending_changes": 0, "lag_seconds": 0.0},
        "processing": {"state": "current", "waiting_events": 0, "oldest_age_seconds": 0.0},
    }


def test_security_headers_are_set(client: TestClient) -> None:
    response = client.get("/signin")
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy  # charts interpret, never eval


def test_https_deployments_send_hsts_and_secure_cookies(
    settings: Settings, runtime: Runtime, world: World
) -> None:
    plain = TestClient(create_app(settings, runtime=runtime))
    assert "strict-transport-security" not in plain.get("/signin").headers
    https = build_runtime(settings.model_copy(update={"base_url": "https://cx.example.com"}))
    try:
        client = TestClient(create_app(https.settings, runtime=https), base_url="https://cx.example.com")
        assert client.get("/signin").headers["strict-transport-security"].startswith("max-age=31536000")
        member = world.members[Role.AGENT]
        signed = client.post(
            "/signin",
            data={"email": member.email, "password": PASSWORD, "csrf_token": page_csrf(client), "next": "/"},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        assert "secure" in signed.headers["set-cookie"].lower()
    finally:
        https.close()


def test_api_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    assert client.get("/static/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/members" in schema["paths"]
