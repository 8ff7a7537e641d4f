"""Inbox reports, computed in the analytics engine: counts, first response and resolution medians and p90
(checked against numpy and statistics as independent oracles), SLA hit rate, days in the workspace time zone, the
Overview's live counts, and the REST, CSV, PNG, page and CLI faces with their permissions."""

from __future__ import annotations

import json
import statistics
import uuid
from datetime import UTC, date, datetime, timedelta

import numpy
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import TeamCreate, WorkspaceCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service
from omnicx.inbox.enums import ConversationStatus, MessagingChannel
from omnicx.inbox.models import Conversation
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.runtime import Runtime
from tests.conftest import SECRET_KEY, World
from tests.helpers import follow_export_links, sign_in
from tests.inbox.conftest import inbound

DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _conversation(
    db: Session,
    inbox: InboxPublic,
    sender: str,
    created: datetime,
    *,
    reply_after: timedelta | None = None,
    resolve_after: timedelta | None = None,
    assignee: uuid.UUID | None = None,
    team: uuid.UUID | None = None,
) -> uuid.UUID:
    got = service.receive(db, inbox_id=inbox.id, message=inbound(sender, "hello"), now=created)
    values: dict[str, object] = {"assignee_id": assignee, "team_id": team}
    if reply_after is not None:
        values["first_reply_at"] = created + reply_after
    if resolve_after is not None:
        values.update(
            status=ConversationStatus.RESOLVED, resolved_at=created + resolve_after, open_contact_id=None
        )
    conversation = db.get(Conversation, got.conversation_id)
    assert conversation is not None
    for name, value in values.items():
        setattr(conversation, name, value)  # through the ORM: the analytics copy follows these writes
    db.commit()
    return got.conversation_id


def _member(db: Session, world: World, role: Role) -> uuid.UUID:
    members = auth_service.list_members(db, workspace_id=world.workspace.id)
    return next(m.id for m in members if m.email == world.members[role].email)


def test_report_by_channel_agent_and_team_with_sla_hit_rate(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic, chat_inbox: InboxPublic
) -> None:
    agent = _member(db, world, Role.AGENT)
    team = auth_service.create_team(
        db, principal=world.members[Role.OWNER].principal, data=TeamCreate(name="Tier 1")
    )
    db.commit()
    replies = [5, 30, 60, 90, 200]  # minutes; the default target is 2 hours around the clock
    for n, minutes in enumerate(replies):
        _conversation(
            db,
            email_inbox,
            f"e{n}@example.com",
            DAY + timedelta(hours=n),
            reply_after=timedelta(minutes=minutes),
            resolve_after=timedelta(hours=n + 1) if n < 3 else None,
            assignee=agent if n % 2 == 0 else None,
            team=team.id,
        )
    _conversation(db, chat_inbox, "visitor-1", DAY + timedelta(days=1), reply_after=timedelta(minutes=1))
    _conversation(db, chat_inbox, "visitor-2", NOW - timedelta(minutes=10))  # not due yet: not graded
    _conversation(db, chat_inbox, "visitor-3", DAY + timedelta(days=2))  # never answered, past due
    _conversation(db, chat_inbox, "visitor-4", DAY - timedelta(days=1), reply_after=timedelta(minutes=1))
    # A notice the customer never answered: opened by the business, resolved at once, asked nothing: not counted.
    notified = identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="notified@example.com")],
    )
    assert notified is not None
    notice = service.notify_customer(
        db,
        workspace_id=world.workspace.id,
        customer_id=notified,
        subject="Ready for pickup",
        text="Your order is ready.",
        key="report-test",
        now=DAY + timedelta(hours=1),
    )
    assert notice is not None and notice.new_conversation
    db.commit()
    analytics_service.sync(runtime)

    report = service.report(db, workspace_id=world.workspace.id, start=DAY.date(), end=NOW.date(), now=NOW)

    totals = report.totals
    assert (totals.conversations, totals.resolved, totals.open) == (8, 3, 5)
    first = [m * 60.0 for m in replies] + [60.0]
    assert totals.first_response_median_seconds == statistics.median(first)
    assert totals.first_response_p90_seconds == pytest.approx(numpy.percentile(first, 90, method="linear"))
    resolution = [3600.0, 7200.0, 10800.0]
    assert totals.resolution_median_seconds == statistics.median(resolution)
    assert totals.resolution_p90_seconds == pytest.approx(numpy.percentile(resolution, 90, method="linear"))
    # graded: 5 email (200 min is late) + visitor-1 (on time) + visitor-3 (past due) = 7, of which 5 on time
    assert totals.sla_hit_rate == 5 / 7 and totals.sla_breached == 2
    channels = {row.key: row for row in report.by_channel}
    assert channels["email"].conversations == 5 and channels["email"].sla_hit_rate == 4 / 5
    assert channels["chat"].conversations == 3 and channels["chat"].sla_hit_rate == 1 / 2
    # Each a sender not (yet) known as a customer (an unverified address): one person per conversation.
    assert (totals.customers, channels["email"].customers, channels["chat"].customers) == (8, 5, 3)
    agents = {row.key: row for row in report.by_agent}
    assert agents[str(agent)].conversations == 3 and agents[str(agent)].label
    assert agents["none"].conversations == 5
    teams = {row.key: row for row in report.by_team}
    assert teams[str(team.id)].label == "Tier 1" and teams[str(team.id)].conversations == 5
    days = {d.day: d for d in report.daily}
    assert len(report.daily) == (NOW.date() - DAY.date()).days + 1
    assert days[DAY.date()].conversations == 5 and days[DAY.date()].resolved == 3
    assert days[DAY.date()].sla_hit_rate == 4 / 5
    assert days[date(2026, 3, 5)].conversations == 0 and days[date(2026, 3, 5)].sla_hit_rate is None


def test_days_are_the_workspace_time_zone_days(runtime: Runtime, db: Session) -> None:
    workspace = auth_service.create_workspace(
        db, data=WorkspaceCreate(slug="jakarta", name="Jakarta", timezone="Asia/Jakarta")
    )
    principal = Principal(workspace_id=workspace.id, role=Role.OWNER, label="test")
    inbox = service.create_inbox(
        db,
        principal=principal,
        data=InboxCreate(channel=MessagingChannel.EMAIL, name="Help", address="h@jk.example"),
        secret_key=SECRET_KEY,
    )
    # 2026-03-01 18:30 UTC is 2026-03-02 01:30 in Jakarta (UTC+7).
    _conversation(db, inbox, "a@example.com", datetime(2026, 3, 1, 18, 30, tzinfo=UTC))
    analytics_service.sync(runtime)
    march_1 = service.report(db, workspace_id=workspace.id, start=date(2026, 3, 1), end=date(2026, 3, 1))
    march_2 = service.report(db, workspace_id=workspace.id, start=date(2026, 3, 2), end=date(2026, 3, 2))
    assert (march_1.totals.conversations, march_2.totals.conversations) == (0, 1)
    assert march_2.timezone == "Asia/Jakarta"


def test_open_conversations_by_channel_and_sla_status(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic, chat_inbox: InboxPublic
) -> None:
    now = datetime.now(UTC)
    _conversation(db, email_inbox, "late@example.com", now - timedelta(hours=3))  # due 2 h after: breached
    _conversation(db, email_inbox, "soon@example.com", now - timedelta(minutes=110))  # 10 min left: warning
    _conversation(db, chat_inbox, "fresh", now - timedelta(minutes=5))  # on track
    _conversation(db, chat_inbox, "done", now - timedelta(hours=5), resolve_after=timedelta(hours=1))
    counts = service.open_conversations_by_channel(db, workspace_id=world.workspace.id)
    expected = {c.value: 0 for c in MessagingChannel} | {"chat": 1, "email": 2}
    assert counts == expected
    status = service.sla_status(db, workspace_id=world.workspace.id, now=now)
    assert (status.on_track, status.warning, status.breached) == (1, 1, 1)
    db.rollback()
    by_channel = client.get("/api/v1/inbox/open-by-channel", headers=world.token(Role.VIEWER))
    assert by_channel.status_code == 200 and by_channel.json() == expected
    live = client.get("/api/v1/inbox/sla-status", headers=world.token(Role.VIEWER))
    assert live.json()["breached"] == 1 and live.json()["on_track"] + live.json()["warning"] == 2


def test_report_api_exports_page_and_permissions(
    app,
    runtime: Runtime,
    client: TestClient,
    db: Session,
    world: World,
    other_world: World,
    email_inbox: InboxPublic,
) -> None:  # type: ignore[no-untyped-def]
    _conversation(db, email_inbox, "x@example.com", DAY, reply_after=timedelta(minutes=30))
    analytics_service.sync(runtime)
    query = {"from": "2026-03-01", "to": "2026-03-31"}
    ok = client.get("/api/v1/inbox/reports", params=query, headers=world.token(Role.ANALYST))
    assert ok.status_code == 200, ok.text
    assert ok.json()["totals"]["conversations"] == 1
    assert ok.json()["totals"]["first_response_median_seconds"] == 1800
    other = client.get("/api/v1/inbox/reports", params=query, headers=other_world.token(Role.OWNER))
    assert other.json()["totals"]["conversations"] == 0
    denied = client.get("/api/v1/inbox/reports", params=query, headers=world.token(Role.AGENT))
    assert denied.status_code == 403 and denied.json()["code"]
    backwards = client.get(
        "/api/v1/inbox/reports",
        params={"from": "2026-03-31", "to": "2026-03-01"},
        headers=world.token(Role.OWNER),
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_report_range"
    last_day = client.get(
        "/api/v1/inbox/reports",
        params={"from": "9999-12-31", "to": "9999-12-31"},
        headers=world.token(Role.OWNER),
    )
    assert last_day.status_code == 422 and last_day.json()["code"] == "invalid_report_range"
    missing = client.get(
        "/api/v1/inbox/reports", params={"from": "2026-03-01"}, headers=world.token(Role.OWNER)
    )
    assert missing.status_code == 422 and set(missing.json()) >= {"code", "message"}
    csv_text = client.get("/api/v1/inbox/reports.csv", params=query, headers=world.token(Role.OWNER))
    lines = csv_text.text.strip().splitlines()
    assert lines[0].startswith("dimension,key,label,conversations") and lines[1].startswith("total,all,")
    png = client.get(
        "/api/v1/inbox/reports/chart.png", params={**query, "chart": "times"}, headers=world.token(Role.OWNER)
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    spec = client.get("/api/v1/inbox/reports/chart.json", params=query, headers=world.token(Role.OWNER))
    assert "layer" in spec.json()
    analyst = world.members[Role.ANALYST]
    sign_in(client, analyst.email, analyst.password)
    page = client.get("/inbox/reports?date_from=2026-03-01&date_to=2026-03-31&dimension=agent")
    assert page.status_code == 200
    assert page.text.count("data-vega-spec=") == 2 and 'data-export="png"' in page.text
    assert "/api/v1/inbox/reports.csv?from=2026-03-01&amp;to=2026-03-31" in page.text
    assert len(follow_export_links(client, page.text)) == 6  # CSV, JSON, and each chart as PNG and SVG
    trend = json.loads(
        page.text.split('id="inbox-trend-chart" data-vega-spec="')[1].split('"')[0].replace("&#34;", '"')
    )
    assert "layer" in trend


def test_report_page_is_forbidden_to_agents(client: TestClient, world: World) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    assert client.get("/inbox/reports").status_code == 403


def test_cli_report_in_three_formats(
    cli_env: dict[str, str], runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    _conversation(db, email_inbox, "y@example.com", DAY, reply_after=timedelta(minutes=12))
    analytics_service.sync(runtime)
    runner = CliRunner()
    base = ["inbox", "report", "-w", "acme", "--from", "2026-03-01", "--to", "2026-03-31"]
    as_json = runner.invoke(cli_app, [*base, "--format", "json"], env=cli_env)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["totals"]["first_response_median_seconds"] == 720
    as_csv = runner.invoke(cli_app, [*base, "--format", "csv"], env=cli_env)
    assert as_csv.output.splitlines()[1].startswith("total,all,")
    table = runner.invoke(cli_app, base, env=cli_env)
    assert table.exit_code == 0 and "12.0" in table.output
    bad = runner.invoke(cli_app, [*base[:-4], "--from", "2026-03-31", "--to", "2026-03-01"], env=cli_env)
    assert bad.exit_code == 1 and "invalid_report_range" in bad.output
