"""Contact analysis on a toy world checked by hand: reasons per week and channel, repeat contacts within 7 days,
first-contact resolution, each reason's phrases; computed in the analytics engine; REST, CSV, page and CLI."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.inbox import service
from omnicx.inbox.enums import ConversationStatus
from omnicx.inbox.models import Conversation
from omnicx.inbox.phrases import top_phrases
from omnicx.inbox.schemas import ContactReasonsReport, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.analytics.conftest import chdb_path, chdb_url
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound
from tests.journeys.conftest import on_clickhouse

__all__ = ["chdb_path", "chdb_url"]

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
START, END = date(2026, 3, 1), date(2026, 3, 15)


def _conversation(
    db: Session,
    inbox: InboxPublic,
    sender: str,
    text: str,
    created: datetime,
    customer: uuid.UUID | None,
    resolved_after: timedelta | None,
) -> uuid.UUID:
    got = service.receive(db, inbox_id=inbox.id, message=inbound(sender, text), now=created)
    conversation = db.get(Conversation, got.conversation_id)
    assert conversation is not None
    conversation.customer_id = customer  # the customers the toy world says (a mail's sender proves nobody)
    if resolved_after is not None:
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = created + resolved_after
        conversation.open_contact_id = None
    db.commit()
    return got.conversation_id


@pytest.fixture
def toy(runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic) -> World:
    """Alice writes twice in four days about her parcel (the second is a repeat; the first, followed by the
    second within 7 days of its resolution, is not resolved at first contact); Bob returns a dress; Carol
    complains the next week (still open); an unknown sender says hello."""
    alice, bob, carol = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    hour = timedelta(hours=1)
    _conversation(
        db,
        email_inbox,
        "alice@example.com",
        "Where is my order 42? My parcel is late",
        MONDAY,
        alice,
        2 * hour,
    )
    _conversation(
        db,
        email_inbox,
        "alice2@example.com",
        "My parcel is late again, where is my order?",
        MONDAY + timedelta(days=3),
        alice,
        hour,
    )
    _conversation(
        db,
        email_inbox,
        "bob@example.com",
        "I want to return the dress, refund please",
        MONDAY + timedelta(days=1),
        bob,
        hour,
    )
    _conversation(
        db,
        email_inbox,
        "carol@example.com",
        "The lamp arrived broken, this is unacceptable",
        MONDAY + timedelta(days=8),
        carol,
        None,
    )
    _conversation(db, email_inbox, "dan@example.com", "hello", MONDAY + timedelta(days=2), None, hour)
    analytics_service.sync(runtime)
    return world


def _report(db: Session, world: World) -> ContactReasonsReport:
    report = service.contact_reasons(db, workspace_id=world.workspace.id, start=START, end=END)
    db.rollback()
    return report


def test_reasons_repeat_contacts_and_first_contact_resolution_by_hand(db: Session, toy: World) -> None:
    report = _report(db, toy)
    total = report.total
    # 5 conversations; 1 repeat (Alice's second); 4 resolved, of which Alice's second, Bob's and Dan's settled it.
    assert (total.conversations, total.repeat, total.resolved, total.first_contact_resolved) == (5, 1, 4, 3)
    assert total.fcr == 0.75 and total.repeat_rate == 0.2
    rows = {r.reason: r for r in report.reasons}
    assert list(rows) == ["order_status", "complaint", "none", "return"]  # by count, then name
    order = rows["order_status"]
    assert (order.conversations, order.share, order.repeat, order.resolved, order.first_contact_resolved) == (
        2,
        0.4,
        1,
        2,
        1,
    )
    assert order.fcr == 0.5 and rows["complaint"].fcr is None and rows["return"].fcr == 1.0
    assert rows["none"].first_contact_resolved == 1  # an unknown customer cannot come back: settled
    weekly = {(c.key, c.reason): c.conversations for c in report.weekly}
    assert weekly == {
        ("2026-03-02", "order_status"): 2,
        ("2026-03-02", "return"): 1,
        ("2026-03-02", "none"): 1,
        ("2026-03-09", "complaint"): 1,
    }
    assert {(c.key, c.reason): c.conversations for c in report.by_channel}[("email", "order_status")] == 2
    assert (report.phrases["order_status"][0].text, report.phrases["order_status"][0].count) == (
        "parcel late",
        2,
    )


def test_a_range_that_holds_only_the_second_week(db: Session, toy: World) -> None:
    report = service.contact_reasons(db, workspace_id=toy.workspace.id, start=date(2026, 3, 9), end=END)
    db.rollback()
    assert report.total.conversations == 1 and [r.reason for r in report.reasons] == ["complaint"]


def test_phrases_count_once_per_message_and_skip_function_words() -> None:
    # "parcel late" is in both English messages (the second twice: counted once); "colis" in both French ones;
    # "is", "the", "est", "mon", "le" are function words; "came" is in one message only.
    texts = ["my parcel is late", "the parcel came late, parcel late", "où est mon colis", "le colis"]
    assert top_phrases(texts) == [("parcel late", 2), ("colis", 2), ("late", 2), ("parcel", 2)]


def test_rest_csv_page_and_cli(client: TestClient, db: Session, toy: World, cli_env: dict[str, str]) -> None:
    query = {"from": START.isoformat(), "to": END.isoformat()}
    api = client.get("/api/v1/inbox/contact-reasons", params=query, headers=toy.token(Role.ANALYST))
    assert api.status_code == 200 and api.json()["total"]["conversations"] == 5
    assert (
        client.get("/api/v1/inbox/contact-reasons", params=query, headers=toy.token(Role.AGENT)).status_code
        == 403
    )
    csv = client.get("/api/v1/inbox/contact-reasons.csv", params=query, headers=toy.token(Role.ANALYST))
    assert csv.status_code == 200 and "order_status,2,0.4,1,0.5,2,1,0.5" in csv.text
    png = client.get("/api/v1/inbox/contact-reasons/chart.png", params=query, headers=toy.token(Role.ANALYST))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    analyst = toy.members[Role.ANALYST]
    sign_in(client, analyst.email, analyst.password)
    page = client.get(
        "/inbox/contact-reasons", params={"date_from": START.isoformat(), "date_to": END.isoformat()}
    )
    assert (
        page.status_code == 200 and 'data-reason="order_status"' in page.text and "Order status" in page.text
    )
    assert 'data-phrases="order_status"' in page.text and "parcel late · 2" in page.text
    result = CliRunner().invoke(
        cli_app,
        [
            "inbox",
            "contact-reasons",
            "-w",
            toy.workspace.slug,
            "--from",
            START.isoformat(),
            "--to",
            END.isoformat(),
            "--format",
            "csv",
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("reason,conversations,share")


def test_the_same_report_on_clickhouse(db: Session, settings: Settings, toy: World, chdb_url: str) -> None:
    on_duckdb = _report(db, toy)

    def ask(runtime: Runtime) -> ContactReasonsReport:
        with runtime.sessions() as session:
            return service.contact_reasons(session, workspace_id=toy.workspace.id, start=START, end=END)

    assert on_clickhouse(settings, chdb_url, ask) == on_duckdb
