"""Email end to end over real SMTP servers: inbound through omnicx's server, replies through a local sink,
threading both ways, durable delivery when the sink is down."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.channels.email.parser import parse_email, trim_quoted
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.channels.conftest import SmtpSink
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import drain

SUPPORT = "support@acme.example.com"


def send(port: int, *, sender: str, subject: str, body: str, message_id: str, **headers: str) -> None:
    email = EmailMessage()
    email["From"] = f"Alice Martin <{sender}>"
    email["To"] = SUPPORT
    email["Subject"] = subject
    email["Message-ID"] = message_id
    for name, value in headers.items():
        email[name.replace("_", "-")] = value
    email.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(email)


def conversations(client: TestClient, world: World) -> list[dict]:  # type: ignore[type-arg]
    response = client.get("/api/v1/inbox/conversations", headers=world.token(Role.AGENT))
    assert response.status_code == 200, response.text
    return list(response.json())


def detail(client: TestClient, world: World, conversation_id: str) -> dict:  # type: ignore[type-arg]
    response = client.get(f"/api/v1/inbox/conversations/{conversation_id}", headers=world.token(Role.AGENT))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_smtp_round_trip_threads_three_messages(
    client: TestClient,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    smtp_sink: SmtpSink,
) -> None:
    send(
        inbound_smtp,
        sender="alice@example.com",
        subject="Order 42",
        body="Where is my order?",
        message_id="<c1@example.com>",
    )
    [conversation] = conversations(client, world)
    reply = client.post(
        f"/api/v1/inbox/conversations/{conversation['id']}/messages",
        json={"text": "It ships today."},
        headers=world.token(Role.AGENT),
    )
    assert reply.status_code == 201, reply.text
    client.post(
        f"/api/v1/inbox/conversations/{conversation['id']}/messages",
        json={"text": "internal: check the warehouse", "private": True},
        headers=world.token(Role.AGENT),
    )
    drain(runtime)
    [sent] = smtp_sink.messages
    assert sent["To"] == "Alice Martin <alice@example.com>" or sent["To"].endswith("<alice@example.com>")
    assert sent["Message-ID"] == reply.json()["provider_message_id"]
    assert sent["In-Reply-To"] == "<c1@example.com>"
    assert sent["References"] == "<c1@example.com>"
    assert sent["Subject"] == "Re: Order 42"
    assert "internal" not in sent.get_content()
    send(
        inbound_smtp,
        sender="alice@example.com",
        subject="Re: Order 42",
        body="Great, thanks!\n\nOn Mon, Support wrote:\n> It ships today.",
        message_id="<c2@example.com>",
        In_Reply_To=sent["Message-ID"],
        References=f"<c1@example.com> {sent['Message-ID']}",
    )
    assert len(conversations(client, world)) == 1
    thread = detail(client, world, conversation["id"])
    visible = [(m["kind"], m["text"]) for m in thread["messages"] if m["kind"] != "note"]
    assert visible == [
        ("incoming", "Where is my order?"),
        ("outgoing", "It ships today."),
        ("incoming", "Great, thanks!"),
    ]
    assert (
        next(m for m in thread["messages"] if m["provider_message_id"] == sent["Message-ID"])[
            "delivery_status"
        ]
        == "sent"
    )


def test_a_reply_is_delivered_once_after_the_smtp_server_comes_back(
    client: TestClient,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    smtp_sink: SmtpSink,
) -> None:
    send(
        inbound_smtp,
        sender="bob@example.com",
        subject="Refund",
        body="Please refund.",
        message_id="<b1@example.com>",
    )
    [conversation] = conversations(client, world)
    smtp_sink.stop()
    response = client.post(
        f"/api/v1/inbox/conversations/{conversation['id']}/messages",
        json={"text": "Refund issued."},
        headers=world.token(Role.AGENT),
    )
    assert response.status_code == 201
    drain(runtime, limit=3)  # fails: nobody listens
    assert smtp_sink.messages == []
    smtp_sink.start()
    deadline = time.monotonic() + 10
    while not smtp_sink.messages and time.monotonic() < deadline:
        drain(runtime)
        time.sleep(0.05)
    time.sleep(0.2)
    drain(runtime)
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["Message-ID"] == response.json()["provider_message_id"]


def test_another_sender_replying_on_a_thread_starts_their_own_conversation(
    client: TestClient, world: World, email_inbox: InboxPublic, inbound_smtp: int
) -> None:
    send(
        inbound_smtp,
        sender="alice@example.com",
        subject="Order 42",
        body="Where is it?",
        message_id="<a1@example.com>",
    )
    send(
        inbound_smtp,
        sender="eve@example.com",
        subject="Re: Order 42",
        body="Me too",
        message_id="<e1@example.com>",
        In_Reply_To="<a1@example.com>",
        References="<a1@example.com>",
    )
    found = conversations(client, world)
    assert sorted(c["contact"]["source_id"] for c in found) == ["alice@example.com", "eve@example.com"]


def test_unknown_recipients_are_refused(inbound_smtp: int, email_inbox: InboxPublic) -> None:
    email = EmailMessage()
    email["From"] = "alice@example.com"
    email["To"] = "nobody@elsewhere.example.com"
    email["Subject"] = "Hi"
    email.set_content("hello")
    with (
        smtplib.SMTP("127.0.0.1", inbound_smtp, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.send_message(email)


def test_parser_trims_quotes_sanitises_html_and_keeps_attachments(db: Session) -> None:
    email = EmailMessage()
    email["From"] = "Alice <ALICE@Example.com>"
    email["To"] = SUPPORT
    email["Subject"] = "Photo"
    email["Message-ID"] = "<p1@example.com>"
    email["References"] = "<x@example.com> <y@example.com>"
    email.set_content("See attached.\n\n> old quoted text\n> more")
    email.add_alternative(
        '<p onclick="steal()">See <b>attached</b><script>alert(1)</script></p>', subtype="html"
    )
    email.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="../../etc/photo.png")
    parsed = parse_email(email.as_bytes())
    assert parsed.source_id == "alice@example.com"
    assert parsed.text == "See attached."
    assert parsed.references == ["<x@example.com>", "<y@example.com>"]
    assert parsed.html is not None and "script" not in parsed.html and "onclick" not in parsed.html
    assert "<b>attached</b>" in parsed.html
    [attachment] = parsed.attachments
    assert attachment.content_type == "image/png" and attachment.data == b"\x89PNG..."


def test_trim_quoted_keeps_plain_text() -> None:
    assert trim_quoted("Hello\nthere") == "Hello\nthere"
    assert trim_quoted("Thanks\n\n-----Original Message-----\nFrom: x") == "Thanks"


def test_a_permanent_refusal_marks_the_reply_failed_with_the_servers_error(
    client: TestClient,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    smtp_sink: SmtpSink,
) -> None:
    send(inbound_smtp, sender="gone@example.com", subject="Hi", body="Hello", message_id="<g1@example.com>")
    [conversation] = conversations(client, world)
    smtp_sink.refuse.add("gone@example.com")
    url = f"/api/v1/inbox/conversations/{conversation['id']}/messages"
    assert client.post(url, json={"text": "Hello back"}, headers=world.token(Role.AGENT)).status_code == 201
    drain(runtime)
    outgoing = next(
        m for m in detail(client, world, conversation["id"])["messages"] if m["kind"] == "outgoing"
    )
    assert outgoing["delivery_status"] == "failed"
    assert "550" in outgoing["delivery_error"]
    assert smtp_sink.messages == []


def test_attachments_are_stored_and_downloaded_by_agents_only_in_their_workspace(
    app, client: TestClient, world: World, other_world: World, email_inbox: InboxPublic, inbound_smtp: int
) -> None:  # type: ignore[no-untyped-def]
    email = EmailMessage()
    email["From"] = "alice@example.com"
    email["To"] = SUPPORT
    email["Subject"] = "Broken lamp"
    email["Message-ID"] = "<att1@example.com>"
    email.set_content("Photo attached.")
    email.add_attachment(b"\x89PNG-bytes", maintype="image", subtype="png", filename="../lamp.png")
    with smtplib.SMTP("127.0.0.1", inbound_smtp, timeout=5) as smtp:
        smtp.send_message(email)
    [conversation] = conversations(client, world)
    [message] = detail(client, world, conversation["id"])["messages"]
    [attachment] = message["attachments"]
    assert attachment["filename"] == "../lamp.png" and ".." not in attachment["path"]
    url = f"/inbox/messages/{message['id']}/attachments/0"
    stranger = other_world.members[Role.OWNER]
    sign_in(client, stranger.email, stranger.password)
    assert client.get(url).status_code == 404
    client.cookies.clear()
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    download = client.get(url)
    assert download.status_code == 200 and download.content == b"\x89PNG-bytes"
    assert download.headers["content-disposition"].startswith("attachment")


def test_a_reply_that_never_gets_through_ends_failed_with_the_last_error(
    client: TestClient,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    smtp_sink: SmtpSink,
) -> None:
    send(inbound_smtp, sender="far@example.com", subject="Hi", body="Hello", message_id="<f1@example.com>")
    [conversation] = conversations(client, world)
    smtp_sink.stop()
    url = f"/api/v1/inbox/conversations/{conversation['id']}/messages"
    assert client.post(url, json={"text": "Hello back"}, headers=world.token(Role.AGENT)).status_code == 201
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        drain(runtime)
        outgoing = next(
            m for m in detail(client, world, conversation["id"])["messages"] if m["kind"] == "outgoing"
        )
        if outgoing["delivery_status"] == "failed":
            break
        time.sleep(0.05)
    assert outgoing["delivery_status"] == "failed"
    assert "ConnectionRefusedError" in outgoing["delivery_error"]
