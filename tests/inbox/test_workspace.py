"""The inbox as a three-pane workspace: a conversation's URL shows the list, the thread with the reply box and
the customer pane together; a row of the list loads the conversation into the middle pane (htmx) alone; each
row says how long ago, whether the customer waits for a reply, who is assigned and how its SLA stands."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic, InboxView, ReplyCreate
from omnicx.inbox.views.listing import initials
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.i18n.formats import format_ago
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound

LONG = "Where is my order? It was due on Monday and the tracking page has said the same thing for days."


def _row(page: str, conversation_id: object) -> str:
    """The list row of one conversation (its <li> … </li>)."""
    found = re.search(rf'<li class="([^"]*)" data-conversation="{conversation_id}".*?</li>', page, re.S)
    assert found, f"no row for {conversation_id}"
    return found.group(0)


def test_a_conversation_url_shows_the_list_the_thread_and_the_customer_side_by_side(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    first = service.receive(db, inbox_id=email_inbox.id, message=inbound("dana@example.com", "Parcel late"))
    other = service.receive(db, inbox_id=email_inbox.id, message=inbound("eli@example.com", "Refund?"))
    db.rollback()
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)

    page = client.get(f"/inbox/conversations/{first.conversation_id}").text

    workspace = page.split('id="inbox-workspace"', 1)[1]
    list_pane, detail = workspace.split('id="conversation-pane"', 1)
    assert f'data-conversation="{first.conversation_id}"' in list_pane
    assert f'data-conversation="{other.conversation_id}"' in list_pane  # the whole list, not only this one
    assert 'id="inbox-filters"' in list_pane
    thread, customer = detail.split('id="customer-pane"', 1)
    assert 'id="messages"' in thread and "Parcel late" in thread and 'id="reply-form"' in thread
    assert 'id="customer-sidebar"' in customer and "dana@example.com" in customer
    assert f'data-open-conversation="{first.conversation_id}"' in detail
    assert 'data-customer-toggle aria-controls="customer-pane"' in detail
    assert "<script>" not in page and " onclick=" not in page  # the CSP forbids inline scripts and handlers


def test_a_row_loads_the_conversation_into_the_pane_and_pushes_its_url(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound("dana@example.com", "Parcel late"))
    db.rollback()
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    url = f"/inbox/conversations/{got.conversation_id}?view=all"

    listed = client.get("/inbox", params={"view": "all"}).text
    row = _row(listed, got.conversation_id)
    assert (
        f'hx-get="{url}"' in row and 'hx-target="#conversation-pane"' in row and 'hx-push-url="true"' in row
    )

    pane = client.get(url, headers={"HX-Request": "true", "HX-Target": "conversation-pane"})
    assert pane.status_code == 200
    assert "<html" not in pane.text and 'id="conversation-list"' not in pane.text
    assert "Parcel late" in pane.text and 'id="customer-pane"' in pane.text
    # Back and forward in history re-ask the URL as a whole page.
    restored = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.text and 'id="conversation-list"' in restored.text


def test_rows_show_how_long_ago_unread_assignee_priority_and_sla_state(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    now = datetime.now(UTC)
    late = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("late@example.com", LONG), now=now - timedelta(hours=3)
    )
    close = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("close@example.com", "Any news?"),
        now=now - timedelta(minutes=110),
    )
    fresh = service.receive(db, inbox_id=email_inbox.id, message=inbound("fresh@example.com", "Hi"))
    admin = world.members[Role.ADMIN]
    agent = world.members[Role.AGENT]
    member = next(
        m for m in auth_service.list_members(db, workspace_id=world.workspace.id) if m.email == agent.email
    )
    service.update_conversation(
        db,
        principal=admin.principal,
        conversation_id=fresh.conversation_id,
        data=ConversationUpdate(assignee_id=member.id, priority="urgent"),
    )
    service.reply(
        db, principal=admin.principal, conversation_id=fresh.conversation_id, data=ReplyCreate(text="On it")
    )
    db.rollback()
    sign_in(client, agent.email, agent.password)

    page = client.get("/inbox").text

    late_row, close_row, fresh_row = (_row(page, c.conversation_id) for c in (late, close, fresh))
    assert 'data-sla="breached"' in late_row and "Overdue" in late_row
    assert 'data-sla="warning"' in close_row and "Due soon" in close_row
    assert 'data-sla="none"' in fresh_row  # answered: no clock running
    assert (
        ">3 hr<" in late_row and ">2 hr<" in close_row
    )  # relative to the last message, rounded as Babel does
    assert re.search(r'<time class="row-time" datetime="[^"]+" title="[^"]+">1 min</time>', fresh_row)
    assert "data-unread" in late_row and "data-unread-marker" in close_row  # the customer waits for a reply
    assert "data-unread" not in fresh_row  # the agent answered last
    assert "No per-agent read state is kept" in late_row  # the tooltip says what unread means
    assert (
        f'title="Assignee: {member.name or member.email}">{initials(member.name or member.email)}<'
        in fresh_row
    )
    assert 'data-priority="urgent"' in fresh_row
    assert f'class="row-preview" title="{LONG}"' in late_row  # cut by the row's width, whole on hover


def test_the_recent_order_puts_the_latest_message_first(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    now = datetime.now(UTC)
    older = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("a@example.com"), now=now - timedelta(hours=2)
    )
    newer = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("b@example.com"), now=now - timedelta(hours=1)
    )
    agent = world.members[Role.AGENT]
    recent = InboxView(sort="recent")
    assert [c.id for c in service.list_conversations(db, principal=agent.principal, view=recent)] == [
        newer.conversation_id,
        older.conversation_id,
    ]
    service.receive(db, inbox_id=email_inbox.id, message=inbound("a@example.com", "Still there?"), now=now)
    order = [c.id for c in service.list_conversations(db, principal=agent.principal, view=recent)]
    db.rollback()
    assert order == [older.conversation_id, newer.conversation_id]  # a new message moves it up
    sign_in(client, agent.email, agent.password)
    listed = client.get("/inbox", params={"sort": "recent"}).text
    assert listed.index(str(older.conversation_id)) < listed.index(str(newer.conversation_id))
    assert f'href="/inbox/conversations/{older.conversation_id}?sort=recent"' in listed


def test_how_long_ago_is_written_in_each_language() -> None:
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    assert format_ago(now - timedelta(minutes=5), now=now, language="en") == "5 min"
    assert format_ago(now - timedelta(seconds=10), now=now, language="en") == "1 min"  # never "0 sec"
    assert format_ago(now + timedelta(seconds=30), now=now, language="en") == "1 min"  # a clock a little off
    assert format_ago(now - timedelta(hours=2), now=now, language="ca") == "2 h"
    assert format_ago(now - timedelta(hours=2), now=now, language="fr") == "2\u202fh"
    assert format_ago(now - timedelta(days=3), now=now, language="id") == "3 hr"
    assert format_ago(None, now=now, language="en") == "—"


def test_initials_of_a_name_or_an_address() -> None:
    assert initials("Dana Scully") == "DS"
    assert initials("dana.scully@example.com") == "DS"
    assert initials("eli@example.com") == "E"
    assert initials("  ") == "?"
