"""Auto-resolve: an inbox may resolve conversations left silent after an agent's reply — never one whose
customer is waiting — through a delayed job that re-checks everything when it runs; REST, CLI and page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.inbox import lifecycle, service
from omnicx.inbox.enums import ConversationStatus
from omnicx.inbox.models import ConversationEvent
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic, InboxUpdate, ReplyCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import drain, inbound

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
OPEN, PENDING, SNOOZED, RESOLVED = (
    ConversationStatus.OPEN,
    ConversationStatus.PENDING,
    ConversationStatus.SNOOZED,
    ConversationStatus.RESOLVED,
)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("status", "waiting_since", "last_message_at", "after", "now", "expected"),
    [
        (OPEN, None, T0, 2 * H, T0 + 2 * H, True),  # agent wrote last, quiet for exactly the delay
        (PENDING, None, T0, 2 * H, T0 + 3 * H, True),
        (OPEN, None, T0, 2 * H, T0 + H, False),  # not quiet long enough
        (OPEN, T0, T0, 2 * H, T0 + 9 * H, False),  # the customer wrote last: never dropped
        (SNOOZED, None, T0, 2 * H, T0 + 9 * H, False),  # snoozed: waits for its own time
        (RESOLVED, None, T0, 2 * H, T0 + 9 * H, False),
        (OPEN, None, T0, None, T0 + 99 * H, False),  # the inbox does not auto-resolve
        (OPEN, None, None, 2 * H, T0 + 9 * H, False),  # nothing was ever said
    ],
)
def test_when_a_conversation_resolves_itself(
    status: ConversationStatus,
    waiting_since: datetime | None,
    last_message_at: datetime | None,
    after: timedelta | None,
    now: datetime,
    expected: bool,
) -> None:
    assert (
        lifecycle.should_auto_resolve(
            status, waiting_since=waiting_since, last_message_at=last_message_at, after=after, now=now
        )
        is expected
    )


def _auto_resolving(db: Session, world: World, inbox: InboxPublic, hours: float | None) -> None:
    owner = world.members[Role.OWNER].principal
    service.update_inbox(db, principal=owner, inbox_id=inbox.id, data=InboxUpdate(auto_resolve_hours=hours))


def _jobs(db: Session) -> list[Job]:
    rows = list(db.scalars(select(Job).where(Job.kind == service.AUTO_RESOLVE_JOB)))
    db.rollback()
    return rows


def _status(db: Session, world: World, conversation_id: object) -> ConversationStatus:
    detail = service.get_conversation(
        db,
        workspace_id=world.workspace.id,
        conversation_id=conversation_id,  # type: ignore[arg-type]
    )
    db.rollback()
    return detail.status


def test_a_reply_schedules_the_check_and_the_check_resolves_only_when_still_quiet(
    db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    _auto_resolving(db, world, chat_inbox, 2)
    agent = world.members[Role.AGENT].principal
    got = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-1"), now=T0)
    service.reply(
        db, principal=agent, conversation_id=got.conversation_id, data=ReplyCreate(text="Done!"), now=T0
    )
    (job,) = _jobs(db)
    assert job.run_at == T0 + 2 * H and job.payload == {"conversation_id": str(got.conversation_id)}
    assert not service.auto_resolve_due(db, conversation_id=got.conversation_id, now=T0 + H)
    db.rollback()
    assert service.auto_resolve_due(db, conversation_id=got.conversation_id, now=T0 + 2 * H)
    db.commit()
    assert _status(db, world, got.conversation_id) is RESOLVED
    event = db.scalars(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == got.conversation_id)
        .order_by(ConversationEvent.at.desc())
    ).first()
    db.rollback()
    assert event is not None and event.detail == {"from": "open", "to": "resolved", "by": "inactivity"}
    assert event.actor_label == "omnicx"


def test_a_customer_who_answers_is_never_resolved_by_the_old_check(
    db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    _auto_resolving(db, world, chat_inbox, 2)
    agent = world.members[Role.AGENT].principal
    got = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-2"), now=T0)
    service.reply(
        db, principal=agent, conversation_id=got.conversation_id, data=ReplyCreate(text="Hi"), now=T0
    )
    service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-2", "one more thing"), now=T0 + H)
    assert not service.auto_resolve_due(db, conversation_id=got.conversation_id, now=T0 + 9 * H)
    db.rollback()
    assert _status(db, world, got.conversation_id) is OPEN


def test_a_snoozed_conversation_and_an_inbox_without_auto_resolve_stay(
    db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT].principal
    quiet = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-3"), now=T0)
    service.reply(
        db, principal=agent, conversation_id=quiet.conversation_id, data=ReplyCreate(text="Hi"), now=T0
    )
    assert _jobs(db) == []  # the inbox does not auto-resolve: nothing is scheduled
    _auto_resolving(db, world, chat_inbox, 1)
    service.reply(
        db, principal=agent, conversation_id=quiet.conversation_id, data=ReplyCreate(text="Hm"), now=T0
    )
    snooze = ConversationUpdate(status=SNOOZED, snoozed_until=datetime.now(UTC) + 9 * H)
    service.update_conversation(db, principal=agent, conversation_id=quiet.conversation_id, data=snooze)
    assert not service.auto_resolve_due(db, conversation_id=quiet.conversation_id, now=T0 + 9 * H)
    db.rollback()
    _auto_resolving(db, world, chat_inbox, None)
    service.update_conversation(
        db, principal=agent, conversation_id=quiet.conversation_id, data=ConversationUpdate(status=OPEN)
    )
    assert not service.auto_resolve_due(db, conversation_id=quiet.conversation_id, now=T0 + 99 * H)
    db.rollback()
    assert _status(db, world, quiet.conversation_id) is OPEN


def test_the_worker_runs_the_due_check(
    db: Session, runtime: Runtime, world: World, chat_inbox: InboxPublic
) -> None:
    _auto_resolving(db, world, chat_inbox, 1)
    agent = world.members[Role.AGENT].principal
    earlier = datetime.now(UTC) - 3 * H  # replied three hours ago: the one-hour check is already due
    got = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-4"), now=earlier)
    service.reply(
        db, principal=agent, conversation_id=got.conversation_id, data=ReplyCreate(text="Bye"), now=earlier
    )
    drain(runtime)
    assert _status(db, world, got.conversation_id) is RESOLVED
    assert {job.status.value for job in _jobs(db)} == {"succeeded"}


def test_rest_and_cli_set_and_clear_auto_resolve(
    client: TestClient, world: World, chat_inbox: InboxPublic, cli_env: dict[str, str]
) -> None:
    url = f"/api/v1/inbox/inboxes/{chat_inbox.id}"
    admin = world.token(Role.ADMIN)
    assert (
        client.patch(url, json={"auto_resolve_hours": 24}, headers=admin).json()["auto_resolve_hours"] == 24
    )
    bad = client.patch(url, json={"auto_resolve_hours": 0}, headers=admin)
    assert bad.status_code == 422 and bad.json()["code"]
    assert (
        client.patch(url, json={"auto_resolve_hours": None}, headers=admin).json()["auto_resolve_hours"]
        is None
    )
    runner = CliRunner()
    inbox = str(chat_inbox.id)
    on = runner.invoke(
        app, ["inbox", "update", inbox, "-w", "acme", "--auto-resolve-hours", "48"], env=cli_env
    )
    assert on.exit_code == 0, on.output
    assert client.get(url, headers=admin).json()["auto_resolve_hours"] == 48
    off = runner.invoke(app, ["inbox", "update", inbox, "-w", "acme", "--no-auto-resolve"], env=cli_env)
    assert off.exit_code == 0, off.output
    assert client.get(url, headers=admin).json()["auto_resolve_hours"] is None


def test_the_settings_page_sets_and_clears_auto_resolve(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    csrf = page_csrf(client, "/settings/inboxes")
    form = {"csrf_token": csrf, "inbox_id": str(chat_inbox.id), "name": "Site", "channel": "chat"}
    saved = client.post(
        "/settings/inboxes", data={**form, "auto_resolve_hours": "36"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    assert (
        service.get_inbox(db, workspace_id=world.workspace.id, inbox_id=chat_inbox.id).auto_resolve_hours
        == 36
    )
    db.rollback()
    assert 'name="auto_resolve_hours"' in client.get("/settings/inboxes").text
    bad = client.post("/settings/inboxes", data={**form, "auto_resolve_hours": "-3"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    cleared = client.post(
        "/settings/inboxes", data={**form, "auto_resolve_hours": ""}, follow_redirects=False
    )
    assert cleared.status_code == 303
    assert (
        service.get_inbox(db, workspace_id=world.workspace.id, inbox_id=chat_inbox.id).auto_resolve_hours
        is None
    )
    db.rollback()
