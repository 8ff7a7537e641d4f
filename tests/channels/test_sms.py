"""SMS through Twilio, against a real HTTP stand-in for Twilio's API (`channels/sms/simulator.py`): the account
proven when the inbox is created, signed webhooks (checked against the `twilio` package's own validator),
deduplicated inbound messages, replies sent through the API, status callbacks in any order, refusals and
outages."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.channels.sms import segments, twilio
from omnicx.channels.sms.simulator import TwilioSimulator
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.models import Inbox, Message
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import SECRET_KEY, World
from tests.helpers import ThreadServer, page_csrf, sign_in
from tests.inbox.conftest import drain, drain_until

ACCOUNT, TOKEN, NUMBER = "AC" + "1" * 32, "secret-auth-token", "+14155550100"
CUSTOMER = "+33612345678"


@pytest.fixture
def simulator() -> Iterator[tuple[TwilioSimulator, str]]:
    sim = TwilioSimulator(accounts={ACCOUNT: (TOKEN, {NUMBER})})
    with ThreadServer(sim.app()) as server:
        yield sim, server.url


def credentials(api_base: str, token: str = TOKEN) -> dict[str, str]:
    return {"account_sid": ACCOUNT, "auth_token": token, "api_base": api_base}


@pytest.fixture
def sms_inbox(db: Session, world: World, simulator: tuple[TwilioSimulator, str]) -> InboxPublic:
    inbox = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(
            channel=MessagingChannel.SMS,
            name="SMS",
            address="+1 415 555 0100",
            credentials=credentials(simulator[1]),
        ),
        secret_key=SECRET_KEY,
    )
    db.rollback()
    return inbox


def post_signed(
    client: TestClient,
    settings: Settings,
    path: str,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signature: str | None = None,
) -> object:
    """POST `params` as Twilio does, signed by Twilio's own validator over the URL Twilio was given."""
    url = settings.base_url.rstrip("/") + path
    signed = RequestValidator(token).compute_signature(url, params) if signature is None else signature
    return client.post(
        path,
        content=urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", twilio.SIGNATURE_HEADER: signed},
    )


def incoming(
    sid: str = "SM" + "a" * 32, body: str = "Is my order ready?", sender: str = CUSTOMER
) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "To": NUMBER,
        "Body": body,
        "NumMedia": "0",
    }


def messages(db: Session, inbox: InboxPublic) -> list[Row[tuple[str, str | None, uuid.UUID]]]:
    """The inbox's stored messages (text, provider id, conversation), read in a transaction ended at once: on
    SQLite every transaction takes the one write turn the app's requests wait for."""
    db.rollback()
    columns = (Message.text, Message.provider_message_id, Message.conversation_id)
    found = list(
        db.execute(select(*columns).where(Message.inbox_id == inbox.id).order_by(Message.created_at))
    )
    db.rollback()
    return found


# -- the signature ------------------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@given(params=st.dictionaries(_text.filter(bool), _text, max_size=8), path=_text)
@settings(max_examples=200, deadline=None)
def test_the_signature_is_twilios(params: dict[str, str], path: str) -> None:
    url = f"https://omnicx.example.com/channels/sms/x?q={path}"
    expected = RequestValidator(TOKEN).compute_signature(url, params)
    assert twilio.signature(TOKEN, url, list(params.items())) == expected
    assert twilio.signature_valid(TOKEN, url, list(params.items()), expected)
    assert not twilio.signature_valid("another-token", url, list(params.items()), expected)


def test_a_signature_over_the_url_with_its_default_port_holds() -> None:
    params = [("Body", "hi"), ("From", CUSTOMER)]
    with_port = RequestValidator(TOKEN).compute_signature("https://omnicx.example.com:443/hook", dict(params))
    assert twilio.signature_valid(TOKEN, "https://omnicx.example.com/hook", params, with_port)
    assert RequestValidator(TOKEN).validate("https://omnicx.example.com/hook", dict(params), with_port)


# -- the account --------------------------------------------------------------------------------------------------


def test_the_inbox_keeps_the_proven_number_and_seals_its_credentials(
    db: Session, sms_inbox: InboxPublic
) -> None:
    assert sms_inbox.address == NUMBER
    assert sms_inbox.callbacks == {
        "messages": f"/channels/sms/{sms_inbox.id}/messages",
        "status": f"/channels/sms/{sms_inbox.id}/status",
    }
    stored = db.scalar(select(Inbox.credentials).where(Inbox.id == sms_inbox.id))
    assert stored and TOKEN not in stored and ACCOUNT not in stored


@pytest.mark.parametrize(
    ("number", "token", "reason"),
    [
        ("+14155550199", TOKEN, "has no number +14155550199"),
        (NUMBER, "wrong-token", "Twilio refused the account"),
        ("not a number", TOKEN, "not a phone number"),
    ],
)
def test_an_account_that_does_not_hold_the_number_gets_no_inbox(
    db: Session, world: World, simulator: tuple[TwilioSimulator, str], number: str, token: str, reason: str
) -> None:
    with pytest.raises(Invalid, match=re.escape(reason)):
        service.create_inbox(
            db,
            principal=world.members[Role.OWNER].principal,
            data=InboxCreate(
                channel=MessagingChannel.SMS,
                name="SMS",
                address=number,
                credentials=credentials(simulator[1], token),
            ),
            secret_key=SECRET_KEY,
        )
    db.rollback()
    assert db.scalar(select(Inbox).where(Inbox.channel == MessagingChannel.SMS)) is None


def test_the_api_creates_an_sms_inbox_and_explains_a_refusal(
    client: TestClient, world: World, simulator: tuple[TwilioSimulator, str]
) -> None:
    body = {"channel": "sms", "name": "SMS", "address": NUMBER, "credentials": credentials(simulator[1])}
    refused = client.post(
        "/api/v1/inbox/inboxes",
        json={**body, "credentials": credentials(simulator[1], "wrong")},
        headers=world.token(Role.ADMIN),
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid" and "Twilio refused" in refused.json()["message"]
    created = client.post("/api/v1/inbox/inboxes", json=body, headers=world.token(Role.ADMIN))
    assert created.status_code == 201, created.text
    assert created.json()["callbacks"]["messages"].endswith("/messages")
    assert "credentials" not in created.json()
    unproven = client.post(
        "/api/v1/inbox/inboxes",
        json={"channel": "sms", "name": "SMS", "address": NUMBER},
        headers=world.token(Role.ADMIN),
    )
    assert unproven.status_code == 422


# -- inbound ------------------------------------------------------------------------------------------------------


def test_an_inbound_sms_is_stored_once_for_the_verified_customer(
    client: TestClient, db: Session, settings: Settings, world: World, sms_inbox: InboxPublic
) -> None:
    path = sms_inbox.callbacks["messages"]
    first = post_signed(client, settings, path, incoming())
    assert first.status_code == 200  # type: ignore[attr-defined]
    assert first.headers["content-type"].startswith("text/xml")  # type: ignore[attr-defined]
    assert post_signed(client, settings, path, incoming()).status_code == 200  # type: ignore[attr-defined]
    [stored] = messages(db, sms_inbox)
    assert stored.text == "Is my order ready?" and stored.provider_message_id == "SM" + "a" * 32
    conversation = service.get_conversation(
        db,
        workspace_id=world.workspace.id,
        principal=world.members[Role.OWNER].principal,
        conversation_id=stored.conversation_id,
    )
    assert conversation.contact.source_id == CUSTOMER
    customer = identity_service.customer_for(
        db, workspace_id=world.workspace.id, identifier=Identifier(kind=IdentifierKind.PHONE, value=CUSTOMER)
    )
    assert customer is not None and conversation.customer_id == customer


@pytest.mark.parametrize(
    "forge",
    ["missing", "wrong", "other token", "tampered", "other account", "not a form"],
)
def test_an_unsigned_or_forged_webhook_is_refused_and_nothing_is_stored(
    client: TestClient, db: Session, settings: Settings, sms_inbox: InboxPublic, forge: str
) -> None:
    path = sms_inbox.callbacks["messages"]
    url = settings.base_url.rstrip("/") + path
    params = incoming()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode(params).encode()
    if forge == "wrong":
        headers[twilio.SIGNATURE_HEADER] = "bm90IGEgc2lnbmF0dXJl"
    elif forge == "other token":
        headers[twilio.SIGNATURE_HEADER] = RequestValidator("guess").compute_signature(url, params)
    elif forge == "tampered":
        headers[twilio.SIGNATURE_HEADER] = RequestValidator(TOKEN).compute_signature(url, params)
        body = urlencode({**params, "From": "+33699999999"}).encode()
    elif forge == "other account":
        params = {**params, "AccountSid": "AC" + "2" * 32}
        body = urlencode(params).encode()
        headers[twilio.SIGNATURE_HEADER] = RequestValidator(TOKEN).compute_signature(url, params)
    elif forge == "not a form":
        body = b"\xff\xfe=\x00"
        headers[twilio.SIGNATURE_HEADER] = RequestValidator(TOKEN).compute_signature(url, {})
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert messages(db, sms_inbox) == []


def test_a_webhook_for_an_unknown_inbox_is_not_found(client: TestClient, settings: Settings) -> None:
    response = post_signed(client, settings, f"/channels/sms/{uuid.uuid4()}/messages", incoming())
    assert response.status_code == 404  # type: ignore[attr-defined]


# -- outbound -----------------------------------------------------------------------------------------------------


def _reply(client: TestClient, world: World, conversation_id: uuid.UUID, text: str) -> dict[str, object]:
    response = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages",
        json={"text": text},
        headers=world.token(Role.AGENT),
    )
    assert response.status_code == 201, response.text
    reply: dict[str, object] = response.json()
    return reply


def _conversation(client: TestClient, db: Session, settings: Settings, inbox: InboxPublic) -> uuid.UUID:
    assert post_signed(client, settings, inbox.callbacks["messages"], incoming()).status_code == 200  # type: ignore[attr-defined]
    return messages(db, inbox)[0].conversation_id


def _status(db: Session, message_id: object) -> tuple[str, str | None, str | None]:
    db.rollback()
    message = db.get(Message, uuid.UUID(str(message_id)))
    assert message is not None
    found = message.delivery_status.value, message.delivery_error, message.provider_message_id
    db.rollback()
    return found


def test_a_reply_goes_out_through_twilio_and_its_statuses_only_move_forward(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    world: World,
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    sim = simulator[0]
    reply = _reply(client, world, _conversation(client, db, settings, sms_inbox), "Yes, it is ready.")
    drain(runtime)
    [sent] = sim.sent
    status_path = sms_inbox.callbacks["status"]
    assert sent.account_sid == ACCOUNT
    assert {k: sent.form[k] for k in ("From", "To", "Body")} == {
        "From": NUMBER,
        "To": CUSTOMER,
        "Body": "Yes, it is ready.",
    }
    assert (
        sent.form["StatusCallback"] == f"{settings.base_url.rstrip('/')}{status_path}?message={reply['id']}"
    )
    assert _status(db, reply["id"]) == ("sent", None, sent.sid)

    def callback(status: str, *, by_sid: bool = False, **extra: str) -> None:
        path = status_path if by_sid else f"{status_path}?message={reply['id']}"
        params = {"MessageSid": sent.sid, "AccountSid": ACCOUNT, "MessageStatus": status, **extra}
        assert post_signed(client, settings, path, params).status_code == 204  # type: ignore[attr-defined]

    callback("delivered")
    callback("sent")  # late: changes nothing
    callback("queued")  # says nothing
    assert _status(db, reply["id"])[0] == "delivered"
    callback("read", by_sid=True)
    assert _status(db, reply["id"])[0] == "read"
    drain(runtime)
    assert len(sim.sent) == 1


def test_a_status_callback_is_verified_like_a_message(
    client: TestClient, db: Session, settings: Settings, sms_inbox: InboxPublic
) -> None:
    params = {"MessageSid": "SMx", "AccountSid": ACCOUNT, "MessageStatus": "failed"}
    forged = post_signed(client, settings, sms_inbox.callbacks["status"], params, token="guess")
    assert forged.status_code == 401  # type: ignore[attr-defined]
    unknown = post_signed(client, settings, sms_inbox.callbacks["status"], params)
    assert unknown.status_code == 204  # type: ignore[attr-defined]


def test_a_number_twilio_refuses_fails_the_reply_without_retrying(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    world: World,
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    sim = simulator[0]
    conversation_id = _conversation(client, db, settings, sms_inbox)
    sim.refused.add(CUSTOMER)
    calls = sim.calls
    reply = _reply(client, world, conversation_id, "Hello?")
    drain(runtime)
    status, error, _ = _status(db, reply["id"])
    assert status == "failed" and error is not None and "21211" in error
    assert sim.calls == calls + 1 and sim.sent == []


def test_a_reply_waits_out_an_outage_and_goes_out_once(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    world: World,
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    sim = simulator[0]
    conversation_id = _conversation(client, db, settings, sms_inbox)
    sim.outage = True
    reply = _reply(client, world, conversation_id, "Sorry for the wait.")
    drain(runtime, limit=3)
    assert sim.sent == [] and sim.calls >= 1
    assert _status(db, reply["id"])[0] == "pending"
    sim.outage = False
    drain_until(runtime, lambda: bool(sim.sent))
    assert [m.form["Body"] for m in sim.sent] == ["Sorry for the wait."]
    assert _status(db, reply["id"])[0] == "sent"


# -- segments -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", "GSM-7", 0, 0),
        ("Your order is ready", "GSM-7", 19, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # the extension table counts twice
        ("Ça coûte 5 €", "UCS-2", 12, 1),  # û is not in GSM-7
        ("é" * 160, "GSM-7", 160, 1),  # é is
        ("ü" * 70 + "ç", "UCS-2", 71, 2),
        ("👍" * 35, "UCS-2", 70, 1),  # an emoji is two UTF-16 units
        ("👍" * 36, "UCS-2", 72, 2),
    ],
)
def test_segments_are_counted_as_carriers_bill_them(text: str, encoding: str, units: int, parts: int) -> None:
    counted = segments.count(text)
    assert (counted.encoding.value, counted.units, counted.segments) == (encoding, units, parts)


# -- the settings page and the CLI ------------------------------------------------------------------------------


def test_the_settings_page_creates_an_sms_inbox_and_shows_its_webhooks(
    client: TestClient, db: Session, settings: Settings, world: World, simulator: tuple[TwilioSimulator, str]
) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    csrf = page_csrf(client, "/settings/inboxes")
    form = {
        "csrf_token": csrf,
        "channel": "sms",
        "name": "Texts",
        "address": "+1 (415) 555-0100",
        "sms.account_sid": ACCOUNT,
        "sms.auth_token": "wrong",
        "api_base": simulator[1],
    }
    refused = client.post("/settings/inboxes", data=form, follow_redirects=False)
    assert refused.status_code == 422 and "Twilio refused the account" in refused.text
    made = client.post("/settings/inboxes", data={**form, "sms.auth_token": TOKEN}, follow_redirects=False)
    assert made.status_code == 303, made.text
    [inbox] = service.list_inboxes(db, workspace_id=world.workspace.id)
    db.rollback()
    page = client.get("/settings/inboxes").text
    assert f'value="{settings.base_url.rstrip("/")}/channels/sms/{inbox.id}/messages"' in page
    assert TOKEN not in page


def test_the_cli_creates_an_sms_inbox_without_echoing_its_token(
    cli_env: dict[str, str], db: Session, world: World, simulator: tuple[TwilioSimulator, str]
) -> None:
    db.rollback()
    made = CliRunner().invoke(
        app,
        [
            "inbox", "create", "Texts", "-w", "acme", "--channel", "sms", "--address", NUMBER,
            "--credential", f"account_sid={ACCOUNT}", "--credential", "auth_token=-",
            "--credential", f"api_base={simulator[1]}",
        ],
        env=cli_env,
        input=f"{TOKEN}\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.strip().splitlines()[-1] == NUMBER
    assert "/channels/sms/" in made.output and TOKEN not in made.output
    refused = CliRunner().invoke(
        app,
        [
            "inbox",
            "create",
            "Texts",
            "-w",
            "acme",
            "--channel",
            "sms",
            "--address",
            NUMBER,
            "--credential",
            "x",
        ],
        env=cli_env,
    )
    assert refused.exit_code != 0 and "KEY=VALUE" in refused.output


def _postpone(db: Session, reply_id: object, *, until: datetime) -> None:
    """Set when the delivery job of `reply_id` is next due (as full jitter may make a retry come late)."""
    db.rollback()
    db.execute(update(Job).where(Job.idempotency_key == str(reply_id)).values(run_at=until))
    db.commit()


def test_replies_queued_through_an_outage_arrive_once_in_the_order_written(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    world: World,
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    sim = simulator[0]
    conversation_id = _conversation(client, db, settings, sms_inbox)
    sim.outage = True
    first = _reply(client, world, conversation_id, "First: we are checking.")
    quick = settings.job_backoff_base_seconds, settings.job_backoff_cap_seconds
    # One failed attempt, not all ten at once: its retry is postponed below, as full jitter may do.
    settings.job_backoff_base_seconds = settings.job_backoff_cap_seconds = 3600
    drain(runtime)  # fails: Twilio answers 500
    settings.job_backoff_base_seconds, settings.job_backoff_cap_seconds = quick
    _postpone(db, first["id"], until=utcnow() + timedelta(hours=1))
    sim.outage = False
    second = _reply(client, world, conversation_id, "Second: it is ready.")
    drain(runtime)  # the second reply's first attempt is due, the first's retry is not: it waits
    assert sim.sent == []
    assert _status(db, second["id"])[0] == "pending"
    _postpone(db, first["id"], until=utcnow())
    drain_until(runtime, lambda: len(sim.sent) >= 2)
    assert [m.form["Body"] for m in sim.sent] == ["First: we are checking.", "Second: it is ready."]
    assert [_status(db, r["id"])[0] for r in (first, second)] == ["sent", "sent"]


def test_channel_health_shows_last_traffic_and_failed_replies(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    world: World,
    cli_env: dict[str, str],
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    conversation_id = _conversation(client, db, settings, sms_inbox)
    _reply(client, world, conversation_id, "Sent fine.")
    drain(runtime)
    simulator[0].refused.add(CUSTOMER)
    _reply(client, world, conversation_id, "Refused by Twilio.")
    drain(runtime)
    [health] = client.get("/api/v1/inbox/inbox-health", headers=world.token(Role.AGENT)).json()
    assert (health["inbox_id"], health["replies"], health["failed"], health["pending"]) == (
        str(sms_inbox.id),
        2,
        1,
        0,
    )
    assert health["last_inbound_at"] is not None and health["last_outbound_at"] >= health["last_inbound_at"]
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    page = client.get("/settings/inboxes").text
    assert f'data-health="{sms_inbox.id}"' in page and 'data-failed="1"' in page
    listed = CliRunner().invoke(app, ["inbox", "list", "-w", "acme"], env=cli_env)
    assert "1/2 replies failed, 0 waiting, 0 webhook calls refused (30 days)" in listed.output
