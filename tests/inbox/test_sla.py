"""SLA clocks: business hours and holidays in the workspace time zone, due times that never move backwards,
and a breach announced exactly once."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.models import Conversation, Inbox
from omnicx.inbox.schemas import InboxPublic, ReplyCreate, SlaPolicyCreate
from omnicx.inbox.service.sla_clocks import refresh_sla
from omnicx.inbox.sla import BusinessHours, SlaState, Targets, add_business_time, due_times, state
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.inbox.conftest import drain, inbound

NINE_TO_FIVE = {str(d): [("09:00", "17:00")] for d in range(5)}


@pytest.mark.parametrize("tz", ["Europe/Paris", "UTC"])
def test_friday_afternoon_first_response_is_due_monday_morning(tz: str) -> None:
    hours = BusinessHours.weekdays(tz, time(9), time(17))
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=ZoneInfo(tz))
    due = add_business_time(friday, timedelta(hours=1), hours)
    assert due == datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (datetime(2026, 11, 23, 10, 0), 60, datetime(2026, 11, 23, 11, 0)),  # within hours
        (datetime(2026, 11, 23, 7, 0), 60, datetime(2026, 11, 23, 10, 0)),  # before opening
        (datetime(2026, 11, 23, 18, 0), 60, datetime(2026, 11, 24, 10, 0)),  # after closing
        (datetime(2026, 11, 21, 12, 0), 30, datetime(2026, 11, 23, 9, 30)),  # Saturday
        (datetime(2026, 11, 23, 16, 0), 9 * 60, datetime(2026, 11, 24, 17, 0)),  # spans a whole day
        (datetime(2026, 12, 24, 16, 30), 60, datetime(2026, 12, 28, 9, 30)),  # Christmas is a holiday
    ],
)
def test_business_clock_table(start: datetime, minutes: int, expected: datetime) -> None:
    paris = ZoneInfo("Europe/Paris")
    hours = BusinessHours.weekdays("Europe/Paris", time(9), time(17), holidays=[date(2026, 12, 25)])
    due = add_business_time(start.replace(tzinfo=paris), timedelta(minutes=minutes), hours)
    assert due == expected.replace(tzinfo=paris)


def test_around_the_clock_when_no_hours_are_set() -> None:
    start = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    assert add_business_time(start, timedelta(hours=2), BusinessHours()) == start + timedelta(hours=2)


def test_default_first_response_target_is_two_hours() -> None:
    created = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    due = due_times(
        created_at=created,
        waiting_since=created,
        first_reply_at=None,
        resolved=False,
        targets=Targets(),
        hours=BusinessHours(),
    )
    assert due.first_response == created + timedelta(hours=2)
    assert due.next_response is None


def test_states() -> None:
    due = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert state(due, 60, now=due - timedelta(minutes=30)) is SlaState.OK
    assert state(due, 60, now=due - timedelta(minutes=5)) is SlaState.WARNING
    assert state(due, 60, now=due) is SlaState.BREACHED


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(
    first=instants,
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    minutes=st.integers(min_value=1, max_value=5000),
    tz=st.sampled_from(["Europe/Paris", "UTC", "America/New_York"]),
)
def test_due_times_never_move_backwards(first: datetime, later: timedelta, minutes: int, tz: str) -> None:
    """The later the clock starts (or the longer the target), the later it is due; re-evaluating a waiting
    conversation at any moment gives the same due time."""
    hours = BusinessHours.weekdays(tz, time(9), time(17), holidays=[date(2026, 12, 25)])
    a = add_business_time(first, timedelta(minutes=minutes), hours)
    b = add_business_time(first + later, timedelta(minutes=minutes), hours)
    c = add_business_time(first, timedelta(minutes=minutes + 1), hours)
    assert a is not None and b is not None and c is not None
    assert a <= b
    assert a < c
    assert a > first
    again = due_times(
        created_at=first,
        waiting_since=first,
        first_reply_at=None,
        resolved=False,
        targets=Targets(first_response=minutes),
        hours=hours,
    )
    assert again.first_response == a


def test_breach_is_announced_once(
    db: Session, runtime: Runtime, world: World, email_inbox: InboxPublic
) -> None:
    owner = world.members[Role.OWNER].principal
    auth_service.get_workspace(db, workspace_id=world.workspace.id)
    db.rollback()
    service.create_sla_policy(
        db,
        principal=owner,
        data=SlaPolicyCreate(name="Office", first_response_minutes=60, business_hours=NINE_TO_FIVE),
        inbox_ids=[email_inbox.id],
    )
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    received = service.receive(db, inbox_id=email_inbox.id, message=inbound(), now=friday)
    detail = service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=received.conversation_id
    )
    assert detail.first_response_due_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    due = detail.first_response_due_at
    assert service.check_sla(
        db, conversation_id=received.conversation_id, kind="first_response", stage="breach", due=due
    )
    assert not service.check_sla(
        db, conversation_id=received.conversation_id, kind="first_response", stage="breach", due=due
    )
    db.commit()
    assert not service.check_sla(
        db, conversation_id=received.conversation_id, kind="first_response", stage="breach", due=due
    )
    db.commit()
    events = service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=received.conversation_id
    ).events
    db.rollback()
    assert [e.kind for e in events].count("sla_breached") == 1


def test_the_breach_job_announces_once_through_the_worker(
    db: Session, runtime: Runtime, world: World, email_inbox: InboxPublic
) -> None:
    three_hours_ago = datetime.now(UTC) - timedelta(hours=3)
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound(), now=three_hours_ago)
    drain(runtime)  # warning and breach checks of the default 2 h target are both due
    drain(runtime)
    events = service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=got.conversation_id
    ).events
    db.rollback()
    kinds = [e.kind for e in events]
    assert kinds.count("sla_breached") == 1 and kinds.count("sla_warning") == 1


def test_policies_are_created_through_the_api(client, world: World, email_inbox: InboxPublic) -> None:  # type: ignore[no-untyped-def]
    body = {
        "name": "Office",
        "first_response_minutes": 60,
        "business_hours": NINE_TO_FIVE,
        "holidays": ["2026-12-25"],
        "inbox_ids": [str(email_inbox.id)],
    }
    created = client.post("/api/v1/inbox/sla-policies", json=body, headers=world.token(Role.ADMIN))
    assert created.status_code == 201, created.text
    assert created.json()["holidays"] == {"dates": ["2026-12-25"]}
    inboxes = client.get("/api/v1/inbox/inboxes", headers=world.token(Role.AGENT)).json()
    assert inboxes[0]["sla_policy_id"] == created.json()["id"]
    assert (
        client.post("/api/v1/inbox/sla-policies", json=body, headers=world.token(Role.AGENT)).status_code
        == 403
    )


# Each example uses new senders, so the function-scoped database serves every example.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.integers(min_value=1, max_value=3 * 24 * 60), st.sampled_from(["customer", "agent"])),
        min_size=1,
        max_size=6,
    )
)
def test_a_message_appended_while_waiting_keeps_the_clocks_a_full_recompute_would_give(
    db: Session, world: World, email_inbox: InboxPublic, steps: list[tuple[int, str]]
) -> None:
    """Inbound messages to an open conversation already waiting skip the SLA recompute; whatever happens in
    between (agent replies, hours and weekends passing), the due times are those a full recompute gives."""
    owner = world.members[Role.OWNER].principal
    if not service.list_sla_policies(db, workspace_id=world.workspace.id):
        service.create_sla_policy(
            db,
            principal=owner,
            data=SlaPolicyCreate(
                name="Office",
                first_response_minutes=60,
                next_response_minutes=90,
                business_hours=NINE_TO_FIVE,
            ),
            inbox_ids=[email_inbox.id],
        )
    sender = f"sla-{next(_senders)}@example.com"
    at = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound(sender), now=at)
    for minutes, who in steps:
        at += timedelta(minutes=minutes)
        if who == "agent":
            service.reply(
                db,
                principal=owner,
                conversation_id=got.conversation_id,
                data=ReplyCreate(text="On it"),
                now=at,
            )
        else:
            service.receive(db, inbox_id=email_inbox.id, message=inbound(sender, "and also"), now=at)
        kept = _clocks(db, got.conversation_id)
        conversation = db.get(Conversation, got.conversation_id)
        assert conversation is not None
        refresh_sla(db, conversation, db.get(Inbox, conversation.inbox_id))  # type: ignore[arg-type]
        assert _clocks(db, got.conversation_id) == kept
        db.rollback()


_senders = itertools.count()


def _clocks(db: Session, conversation_id: uuid.UUID) -> tuple[datetime | None, ...]:
    row = db.get(Conversation, conversation_id)
    assert row is not None
    return (row.first_response_due_at, row.next_response_due_at, row.resolution_due_at)
