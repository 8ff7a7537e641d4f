"""Customer pages: the list with search, the 360 page (identifiers, last contact, timeline), privacy buttons."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.customers.conftest import make_customer
from tests.helpers import page_csrf, session_csrf, sign_in


def _sign_in(client: TestClient, world: World, role: Role) -> None:
    member = world.members[role]
    sign_in(client, member.email, member.password)


def test_360_page_shows_identifiers_last_contact_and_timeline(
    db: Session, client: TestClient, world: World, timeline_provider: str
) -> None:
    cid = make_customer(
        db, world.workspace.id, ("email", "page@example.com"), ("user_id", "u-page"), name="Pia"
    )
    _sign_in(client, world, Role.AGENT)

    response = client.get(f"/customers/{cid}")

    assert response.status_code == 200, response.text
    html = response.text
    assert "Pia" in html
    assert "page@example.com" in html and "u-page" in html
    contact = html.split('id="last-contact"')[1].split("</dd>")[0]
    communication = html.split('id="last-communication"')[1].split("</dd>")[0]
    assert "Where is my order?" in contact and "whatsapp" in contact
    assert "It ships today" in communication
    timeline = html.split('id="timeline"')[1]
    assert (
        timeline.index("Viewed pricing")
        < timeline.index("It ships today")
        < timeline.index("Where is my order?")
    )
    assert "javascript:" not in html  # unsafe links from providers are not rendered as links
    assert "iPhone" in html and "organic_search" in html
    assert 'id="privacy"' not in html  # agents may not export or erase


def test_list_page_searches_and_links_to_customers(db: Session, client: TestClient, world: World) -> None:
    wanted = make_customer(db, world.workspace.id, ("email", "findme@example.com"), name="Findable Person")
    make_customer(db, world.workspace.id, ("email", "other@example.com"), name="Someone Else")
    _sign_in(client, world, Role.VIEWER)

    everyone = client.get("/customers")
    found = client.get("/customers", params={"q": "findable", "since": "", "until": "", "email": "yes"})

    assert everyone.status_code == 200 and "Someone Else" in everyone.text
    assert found.status_code == 200
    assert f'href="/customers/{wanted}"' in found.text and "Someone Else" not in found.text


def test_another_workspaces_customer_page_is_not_found(
    db: Session, client: TestClient, world: World, other_world: World
) -> None:
    theirs = make_customer(db, other_world.workspace.id, ("email", "hidden@globex.example"), name="Hidden")
    _sign_in(client, world, Role.OWNER)
    headers = session_csrf(client, client.app.state.runtime.settings.resolved_secret_key)  # type: ignore[attr-defined]

    page = client.get(f"/customers/{theirs}")
    export = client.post(f"/customers/{theirs}/export", headers=headers)

    assert page.status_code == 404 and "Hidden" not in page.text
    assert export.status_code == 404
    assert "Hidden" not in client.get("/customers", params={"q": "hidden"}).text


def test_owner_exports_and_erases_from_the_page(
    db: Session, client: TestClient, world: World, runtime
) -> None:  # type: ignore[no-untyped-def]
    from omnicx.kernel.jobs.worker import Worker

    cid = make_customer(db, world.workspace.id, ("email", "bye@example.com"))
    _sign_in(client, world, Role.OWNER)
    headers = session_csrf(client, runtime.settings.resolved_secret_key)

    page = client.get(f"/customers/{cid}")
    assert 'id="privacy"' in page.text
    export = client.post(f"/customers/{cid}/export", headers=headers)
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith("attachment")
    assert "bye@example.com" in export.text
    erase = client.post(f"/customers/{cid}/erase", headers=headers, follow_redirects=False)
    assert erase.status_code == 303 and erase.headers["location"].startswith("/customers?erasure=")
    assert client.get(erase.headers["location"]).status_code == 200
    assert Worker(runtime, "test").run_once()
    assert client.get(f"/customers/{cid}").status_code == 404


def test_a_merged_id_redirects_to_the_survivor(db: Session, client: TestClient, world: World) -> None:
    old = make_customer(db, world.workspace.id, ("anonymous_id", "a-1"))
    survivor = make_customer(db, world.workspace.id, ("email", "s@example.com"))
    make_customer(db, world.workspace.id, ("anonymous_id", "a-1"), ("email", "s@example.com"))
    _sign_in(client, world, Role.VIEWER)

    response = client.get(f"/customers/{old}", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/customers/{survivor}"
    assert client.get(f"/customers/{uuid.uuid4()}").status_code == 404


def test_staff_record_sms_and_whatsapp_consent_per_number_from_the_page(
    db: Session, client: TestClient, world: World
) -> None:
    from omnicx.identity import service as identity_service
    from omnicx.identity.schemas import Identifier, IdentifierKind

    cid = make_customer(db, world.workspace.id, ("phone", "+33612345678"), name="Noa")
    _sign_in(client, world, Role.ADMIN)
    page = client.get(f"/customers/{cid}").text
    assert 'data-consent-channel="sms"' in page and 'data-consent-channel="whatsapp"' in page
    form = {
        "csrf_token": page_csrf(client, f"/customers/{cid}"),
        "value": "+33612345678",
        "channel": "whatsapp",
        "opted_out": "true",
    }
    recorded = client.post(f"/customers/{cid}/consent", data=form, follow_redirects=False)
    assert recorded.status_code == 303, recorded.text
    phone = Identifier(kind=IdentifierKind.PHONE, value="+33612345678")
    workspace_id = world.workspace.id
    assert identity_service.opted_out(db, workspace_id=workspace_id, identifier=phone, channel="whatsapp")
    assert not identity_service.opted_out(db, workspace_id=workspace_id, identifier=phone, channel="sms")
    db.rollback()
    assert "WhatsApp · +33612345678" in client.get(f"/customers/{cid}").text
    refused = client.post(f"/customers/{cid}/consent", data={**form, "channel": "fax"})
    assert refused.status_code == 422 and "SMS or WhatsApp" in refused.text
