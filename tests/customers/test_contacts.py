"""Calls, store visits and store notes logged by hand (API, CLI, the customer page): each joins the customer's
timeline, their last contact or last communication, and their touchpoints (Phone, Store)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import page_csrf, sign_in


def _customer(db: Session, world: World) -> uuid.UUID:
    customer_id = identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="marie@example.com")],
    )
    assert customer_id is not None
    db.commit()
    return customer_id


def test_a_logged_call_is_history_last_contact_and_a_touchpoint(
    client: TestClient, db: Session, world: World
) -> None:
    customer_id = _customer(db, world)
    url = f"/api/v1/tracking/customers/{customer_id}/contacts"
    call = {"kind": "call", "direction": "inbound", "duration_seconds": 240, "outcome": "resolved",
            "notes": "Asked about the Lyon store's opening hours."}  # fmt: skip
    assert client.post(url, json=call, headers=world.token(Role.VIEWER)).status_code == 403
    logged = client.post(url, json=call, headers=world.token(Role.AGENT))
    assert logged.status_code == 201, logged.text
    assert (logged.json()["channel"], logged.json()["kind"]) == ("Phone", "call")
    view = client.get(f"/api/v1/customers/{customer_id}", headers=world.token(Role.VIEWER)).json()
    assert view["last_contact"]["title"] == "Phone call (inbound, 4 min)"
    assert "resolved · Asked about the Lyon store's opening hours." in view["last_contact"]["detail"]
    assert view["last_communication"] is None
    outbound = client.post(
        url, json={"kind": "call", "direction": "outbound"}, headers=world.token(Role.AGENT)
    )
    assert outbound.status_code == 201
    view = client.get(f"/api/v1/customers/{customer_id}", headers=world.token(Role.VIEWER)).json()
    assert view["last_communication"]["title"] == "Phone call (outbound)"
    touchpoints = client.get(
        "/api/v1/tracking/touchpoints",
        params={"customer_id": str(customer_id)},
        headers=world.token(Role.ADMIN),
    ).json()
    assert sorted(t["channel"] for t in touchpoints) == ["Phone", "Phone"]
    bad = client.post(url, json={"kind": "fax"}, headers=world.token(Role.AGENT))
    assert bad.status_code == 422 and "code" in bad.json()
    unknown = client.post(
        f"/api/v1/tracking/customers/{uuid.uuid4()}/contacts", json=call, headers=world.token(Role.AGENT)
    )
    assert unknown.status_code == 404


def test_the_customer_page_and_the_cli_log_visits_and_notes(
    client: TestClient, db: Session, world: World, cli_env: dict[str, str]
) -> None:
    customer_id = _customer(db, world)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    csrf = page_csrf(client, f"/customers/{customer_id}")
    made = client.post(
        f"/customers/{customer_id}/contacts",
        data={"csrf_token": csrf, "kind": "store_visit", "location": "Paris Marais store", "outcome": "sale"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    bad = client.post(
        f"/customers/{customer_id}/contacts",
        data={"csrf_token": csrf, "kind": "call", "duration_minutes": "ten"},
    )
    assert bad.status_code == 422
    cli = CliRunner().invoke(
        app,
        [
            "contacts",
            "log",
            str(customer_id),
            "-w",
            "acme",
            "--kind",
            "store_note",
            "--notes",
            "Prefers brass.",
        ],
        env=cli_env,
    )
    assert cli.exit_code == 0, cli.output
    page = client.get(f"/customers/{customer_id}").text
    assert "Store visit" in page and "Paris Marais store · sale" in page
    assert "Store note" in page and "Prefers brass." in page
