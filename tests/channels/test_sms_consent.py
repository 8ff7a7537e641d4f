"""Opt-out by keyword on SMS, in the four languages: a STOP (ARRÊT, BERHENTI, PROU...) is recorded for the
number, every sender of the workspace honours it (any SMS inbox, a reply, whatever recorded it), and START
lets messages through again. Also the API, the CLI and the customer page that record it by hand."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.channels.keywords import consent_word
from omnicx.channels.sms.simulator import TwilioSimulator
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.test_sms import (
    ACCOUNT,
    CUSTOMER,
    _reply,
    _status,
    credentials,
    incoming,
    messages,
    post_signed,
    simulator,
    sms_inbox,
)
from tests.conftest import SECRET_KEY, World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import drain

__all__ = ["simulator", "sms_inbox"]  # fixtures shared with the SMS tests


@pytest.mark.parametrize(
    ("text", "opted_out"),
    [
        ("STOP", True),
        ("stop", True),
        (" Stop. ", True),
        ("Arrêt", True),
        ("ARRET!", True),
        ("désabonner", True),
        ("berhenti", True),
        ("Prou", True),
        ("atura", True),
        ("START", False),
        ("Démarrer", False),
        ("mulai", False),
        ("Comença", False),
        ("unstop", False),
    ],
)
def test_keywords_in_four_languages(text: str, opted_out: bool) -> None:
    word = consent_word(text)
    assert word is not None and word.opted_out is opted_out and word.keyword == text.strip()


@pytest.mark.parametrize(
    "text", ["stop the order please", "Can I stop by the store?", "", "STOPPED", "start time?"]
)
def test_a_sentence_is_not_a_keyword(text: str) -> None:
    assert consent_word(text) is None


def _opted_out(db: Session, world: World) -> bool:
    found = identity_service.opted_out(
        db,
        workspace_id=world.workspace.id,
        identifier=Identifier(kind=IdentifierKind.PHONE, value=CUSTOMER),
        channel="sms",
    )
    db.rollback()
    return found is not None


def test_stop_blocks_every_sms_sender_and_start_lets_them_through(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    world: World,
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    sim, api = simulator
    sim.accounts[ACCOUNT][1].add("+14155550111")
    second = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(
            channel=MessagingChannel.SMS, name="Store", address="+14155550111", credentials=credentials(api)
        ),
        secret_key=SECRET_KEY,
    )
    db.rollback()
    path = sms_inbox.callbacks["messages"]
    assert post_signed(client, settings, path, incoming("SM" + "1" * 32, "Is it ready?")).status_code == 200  # type: ignore[attr-defined]
    assert post_signed(client, settings, path, incoming("SM" + "2" * 32, "ARRÊT")).status_code == 200  # type: ignore[attr-defined]
    assert post_signed(client, settings, path, incoming("SM" + "2" * 32, "ARRÊT")).status_code == 200  # type: ignore[attr-defined]
    assert [m.text for m in messages(db, sms_inbox)] == [
        "Is it ready?",
        "ARRÊT",
    ]  # kept for the agents to see
    assert _opted_out(db, world)
    conversation_id = messages(db, sms_inbox)[0].conversation_id
    page_reply = _reply(client, world, conversation_id, "It is ready.")
    # The same number on the workspace's other SMS inbox: the opt-out is the number's, not the inbox's.
    other = post_signed(
        client,
        settings,
        second.callbacks["messages"],
        {**incoming("SM" + "3" * 32, "Hello?"), "To": "+14155550111"},
    )
    assert other.status_code == 200  # type: ignore[attr-defined]
    other_conversation = messages(db, second)[0].conversation_id
    other_reply = _reply(client, world, other_conversation, "Hello from the store.")
    drain(runtime)
    assert sim.sent == []
    for reply in (page_reply, other_reply):
        status, error, _ = _status(db, reply["id"])
        assert status == "failed" and error is not None and "opted out of sms" in error and "ARRÊT" in error

    assert post_signed(client, settings, path, incoming("SM" + "4" * 32, "start")).status_code == 200  # type: ignore[attr-defined]
    assert not _opted_out(db, world)
    _reply(client, world, conversation_id, "Welcome back.")
    drain(runtime)
    assert [m.form["Body"] for m in sim.sent] == ["Welcome back."]


def test_the_conversation_page_says_replies_are_not_sent(
    client: TestClient, db: Session, settings: Settings, world: World, sms_inbox: InboxPublic
) -> None:
    path = sms_inbox.callbacks["messages"]
    post_signed(client, settings, path, incoming("SM" + "5" * 32, "STOP"))
    conversation_id = messages(db, sms_inbox)[0].conversation_id
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert 'data-opted-out="sms"' in page and CUSTOMER in page


def test_consent_is_recorded_by_api_cli_and_customer_page_and_shown_there(
    client: TestClient,
    db: Session,
    settings: Settings,
    world: World,
    cli_env: dict[str, str],
    sms_inbox: InboxPublic,
) -> None:
    post_signed(client, settings, sms_inbox.callbacks["messages"], incoming("SM" + "6" * 32, "Hi"))
    customer_id = identity_service.customer_for(
        db, workspace_id=world.workspace.id, identifier=Identifier(kind=IdentifierKind.PHONE, value=CUSTOMER)
    )
    db.rollback()
    assert customer_id is not None
    body = {"kind": "phone", "value": "+33 6 12 34 56 78", "channel": "sms", "opted_out": True}
    denied = client.put("/api/v1/identity/consents", json=body, headers=world.token(Role.VIEWER))
    assert denied.status_code == 403
    recorded = client.put("/api/v1/identity/consents", json=body, headers=world.token(Role.AGENT))
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["value"] == CUSTOMER and recorded.json()["source"] == "api"
    listed = client.get(
        f"/api/v1/identity/customers/{customer_id}/consents", headers=world.token(Role.VIEWER)
    )
    assert [(c["channel"], c["opted_out"]) for c in listed.json()] == [("sms", True)]
    bad = client.put(
        "/api/v1/identity/consents", json={**body, "value": "not a phone"}, headers=world.token(Role.AGENT)
    )
    assert bad.status_code == 422 and "code" in bad.json()

    cli = CliRunner().invoke(
        app, ["customers", "consent", "phone", CUSTOMER, "--opt-in", "-w", "acme"], env=cli_env
    )
    assert cli.exit_code == 0, cli.output
    assert "agrees to sms" in cli.output
    assert not _opted_out(db, world)

    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    csrf = page_csrf(client, f"/customers/{customer_id}")
    made = client.post(
        f"/customers/{customer_id}/consent",
        data={"csrf_token": csrf, "value": CUSTOMER, "channel": "sms", "opted_out": "true"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert _opted_out(db, world)
    page = client.get(f"/customers/{customer_id}").text
    assert 'data-consent="sms" data-opted-out="true"' in page
    exported = client.post(
        f"/api/v1/identity/customers/{customer_id}/export", headers=world.token(Role.OWNER)
    )
    assert [(c["value"], c["opted_out"], c["source"]) for c in exported.json()["consents"]] == [
        (CUSTOMER, True, "customer page")
    ]


def test_an_unknown_customer_has_no_consents(client: TestClient, world: World) -> None:
    listed = client.get(
        f"/api/v1/identity/customers/{uuid.uuid4()}/consents", headers=world.token(Role.VIEWER)
    )
    assert listed.status_code == 200 and listed.json() == []
