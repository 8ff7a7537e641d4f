"""The OpenAPI document behind /api/docs: the API token scheme (Swagger UI's Authorize button) on every gated
operation, and the Segment-compatible collection API with its write-key scheme, true to the routes served."""

from __future__ import annotations

import base64
from typing import Any

import jsonschema
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.app.openapi import CALLS
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import SourceCreate
from tests.conftest import World
from tests.helpers import api_routes


def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def test_gated_operations_take_the_api_token_as_a_bearer(client: TestClient) -> None:
    schema = document(client)

    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "omx_...",
        "description": schema["components"]["securitySchemes"]["apiToken"]["description"],
    }
    assert schema["paths"]["/api/v1/members"]["get"]["security"] == [{"apiToken": []}]
    assert schema["paths"]["/api/v1/teams"]["post"]["security"] == [{"apiToken": []}]
    # A public operation asks for nothing.
    assert "security" not in schema["paths"]["/api/v1/password-reset"]["post"]


def test_the_collection_api_is_documented_with_its_write_key(client: TestClient) -> None:
    schema = document(client)

    batch = schema["paths"]["/v1/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SegmentBatch"
    }
    assert batch["security"] == [{"writeKey": []}, {}]
    assert schema["components"]["securitySchemes"]["writeKey"]["scheme"] == "basic"
    assert {f"/v1/{kind}" for kind in CALLS} <= set(schema["paths"])
    assert schema["paths"]["/v1/track"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SegmentTrack"
    }


def test_every_documented_collection_path_is_served_and_every_call_documented(app: FastAPI) -> None:
    served = {
        route.path for route in api_routes(app) if route.path.startswith("/v1/") and "POST" in route.methods
    }
    # The collection calls (POST); `/v1/` also serves reads for sites (a product's reviews), documented apart.
    documented = {
        path for path, calls in app.openapi()["paths"].items() if path.startswith("/v1/") and "post" in calls
    }

    assert documented <= served
    long_names = {path for path in served if len(path.removeprefix("/v1/")) > 1}  # not analytics.js's letters
    assert long_names <= documented


def test_a_body_the_schema_describes_is_one_the_endpoint_stores(
    client: TestClient, db: Session, world: World
) -> None:
    created = tracking_service.create_source(
        db, workspace_id=world.workspace.id, data=SourceCreate(name="web")
    )
    db.close()  # on SQLite an open transaction would block the endpoint's writer
    schema = document(client)
    body = {
        "batch": [
            {"type": "identify", "userId": "u-1", "traits": {"email": "ana@example.com"}, "messageId": "m-1"},
            {"type": "track", "userId": "u-1", "event": "Order Completed", "messageId": "m-2"},
            {"type": "group", "userId": "u-1", "groupId": "g-1", "messageId": "m-3"},
        ],
        "sentAt": "2026-11-20T15:30:00Z",
    }
    root = {"$ref": "#/components/schemas/SegmentBatch", "components": schema["components"]}
    jsonschema.validate(body, root)
    missing_event = {"batch": [{"type": "track", "userId": "u-1"}]}
    assert jsonschema.Draft202012Validator(root).is_valid(missing_event) is False

    basic = base64.b64encode(f"{created.write_key}:".encode()).decode()
    response = client.post("/v1/batch", json=body, headers={"Authorization": f"Basic {basic}"})

    assert response.status_code == 200
    assert response.json() == {"success": True}
