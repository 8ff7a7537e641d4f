"""Retrying a failed reply: a new delivery job makes a new provider call with the same Message-ID, and the
status moves failed -> pending -> sent (the one path back from failed). Real SMTP sink on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.inbox import service
from omnicx.inbox.enums import DeliveryStatus
from omnicx.inbox.schemas import InboxPublic, ReplyCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.conftest import SmtpSink
from tests.conftest import World
from tests.helpers import session_csrf, sign_in
from tests.inbox.conftest import drain, inbound


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_outbound_port": smtp_sink.port, "smtp_timeout_seconds": 3.0})


def _failed_reply(db: Session, runtime: Runtime, world: World, inbox: InboxPublic, sink: SmtpSink) -> str:
    """A reply the recipient's server refused for good (550): its delivery is failed."""
    sink.refuse.add("kim@example.com")
    got = service.receive(db, inbox_id=inbox.id, message=inbound("kim@example.com", "Hello?"))
    reply = service.reply(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=got.conversation_id,
        data=ReplyCreate(text="Here is your answer"),
    )
    drain(runtime)
    detail = service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=got.conversation_id
    )
    db.rollback()
    assert detail.messages[-1].delivery_status is DeliveryStatus.FAILED
    assert sink.messages == []
    return str(reply.id)


def test_a_failed_reply_is_sent_again_once_with_the_same_message_id(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:
    message_id = _failed_reply(db, runtime, world, email_inbox, smtp_sink)
    smtp_sink.refuse.clear()
    response = client.post(f"/api/v1/inbox/messages/{message_id}/retry", headers=world.token(Role.AGENT))
    assert response.status_code == 202, response.text
    assert response.json()["delivery_status"] == "pending"
    drain(runtime)
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["Message-ID"] == response.json()["provider_message_id"]
    detail = client.get(
        f"/api/v1/inbox/conversations/{response.json()['conversation_id']}", headers=world.token(Role.AGENT)
    ).json()
    assert detail["messages"][-1]["delivery_status"] == "sent"
    assert any(e["kind"] == "delivery_retried" for e in detail["events"])
    drain(runtime)  # nothing left to run: the recipient never gets a duplicate
    assert len(smtp_sink.messages) == 1
    again = client.post(f"/api/v1/inbox/messages/{message_id}/retry", headers=world.token(Role.AGENT))
    assert again.status_code == 422 and again.json()["code"] == "retry_refused"


def test_retry_is_refused_to_viewers_other_workspaces_and_for_inbound_messages(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    other_world: World,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:
    message_id = _failed_reply(db, runtime, world, email_inbox, smtp_sink)
    url = f"/api/v1/inbox/messages/{message_id}/retry"
    assert client.post(url, headers=world.token(Role.VIEWER)).status_code == 403
    hidden = client.post(url, headers=other_world.token(Role.OWNER))
    assert hidden.status_code == 404 and hidden.json()["code"] == "message_not_found"
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound("lou@example.com", "hi"))
    inbound_retry = client.post(
        f"/api/v1/inbox/messages/{got.message_id}/retry", headers=world.token(Role.AGENT)
    )
    assert inbound_retry.status_code == 422 and inbound_retry.json()["code"] == "retry_refused"


def test_retry_from_the_conversation_page_and_the_cli(
    app,
    client: TestClient,
    cli_env: dict[str, str],
    db: Session,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:  # type: ignore[no-untyped-def]
    message_id = _failed_reply(db, runtime, world, email_inbox, smtp_sink)
    conversation_id = client.get(
        "/api/v1/inbox/conversations", params={"status": "any"}, headers=world.token(Role.AGENT)
    ).json()[0]["id"]
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}")
    assert f'action="/inbox/messages/{message_id}/retry"' in page.text
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    sent = client.post(
        f"/inbox/messages/{message_id}/retry",
        data={"conversation_id": conversation_id},
        headers=csrf,
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/inbox/conversations/{conversation_id}"
    refused = client.post(
        f"/inbox/messages/{message_id}/retry", data={"conversation_id": conversation_id}, headers=csrf
    )
    assert refused.status_code == 422 and "failed can be sent again" in refused.text
    drain(runtime)  # still refused by the sink: failed again
    cli = CliRunner().invoke(cli_app, ["inbox", "retry", message_id, "-w", "acme"], env=cli_env)
    assert cli.exit_code == 0, cli.output
    assert "pending" in cli.output
