"""Satisfaction after a resolved conversation: planned at the resolution when the inbox asks, asked once on the
conversation's channel (stars in the widget, signed links elsewhere), answered once; the report's arithmetic."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.feedback import service
from omnicx.feedback.enums import AnsweredVia, CsatGroup
from omnicx.feedback.errors import AlreadyAnswered
from omnicx.feedback.models import CsatSurvey
from omnicx.feedback.schemas import CsatAnswer, CsatSettingUpdate, CsatSurveyPublic
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus
from omnicx.inbox.models import ConversationEvent, Message
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import NotFound
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from tests.conftest import SECRET_KEY, World
from tests.helpers import sign_in
from tests.inbox.conftest import drain, inbound

BASE = "https://cx.example.com"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LINK = re.compile(r"https://cx\.example\.com/feedback/csat/([0-9a-f]{32}\.[A-Za-z0-9_-]+)\?rating=(\d)")


def _ask_after_resolution(db: Session, world: World, inbox: InboxPublic, delay: int = 0) -> None:
    service.update_setting(
        db,
        principal=world.members[Role.OWNER].principal,
        inbox_id=inbox.id,
        data=CsatSettingUpdate(enabled=True, delay_minutes=delay),
    )


def _resolve(db: Session, world: World, conversation_id: uuid.UUID, now: datetime = T0) -> None:
    inbox_service.update_conversation(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=conversation_id,
        data=ConversationUpdate(status=ConversationStatus.RESOLVED),
        now=now,
    )


def _conversation(db: Session, inbox: InboxPublic, sender: str = "alice@example.com") -> uuid.UUID:
    got = inbox_service.receive(db, inbox_id=inbox.id, message=inbound(sender, "Where is my order?"), now=T0)
    db.commit()
    return got.conversation_id


def _survey(db: Session, conversation_id: uuid.UUID) -> CsatSurveyPublic | None:
    """The survey as stored now (a snapshot: nothing left holding the test's transaction open)."""
    survey = db.scalar(select(CsatSurvey).where(CsatSurvey.conversation_id == conversation_id))
    snapshot = CsatSurveyPublic.model_validate(survey) if survey else None
    db.rollback()
    return snapshot


def _asked(
    db: Session, world: World, inbox: InboxPublic, sender: str = "alice@example.com"
) -> CsatSurveyPublic:
    _ask_after_resolution(db, world, inbox)
    conversation_id = _conversation(db, inbox, sender)
    _resolve(db, world, conversation_id)
    survey = _survey(db, conversation_id)
    assert survey is not None
    assert service.ask(
        db, survey_id=survey.id, base_url=BASE, secret=SECRET_KEY, now=T0 + timedelta(minutes=1)
    )
    db.commit()
    asked = _survey(db, conversation_id)
    assert asked is not None
    return asked


def test_an_inbox_that_does_not_ask_plans_nothing(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    conversation_id = _conversation(db, email_inbox)
    _resolve(db, world, conversation_id)
    assert _survey(db, conversation_id) is None


def test_a_resolution_plans_one_survey_after_the_inbox_delay(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    _ask_after_resolution(db, world, email_inbox, delay=30)
    conversation_id = _conversation(db, email_inbox)
    _resolve(db, world, conversation_id)
    survey = _survey(db, conversation_id)
    assert survey is not None and survey.asked_at is None
    (job,) = db.scalars(select(Job).where(Job.kind == service.ASK_JOB)).all()
    db.rollback()
    assert job.run_at == T0 + timedelta(minutes=30) and job.payload == {"survey_id": str(survey.id)}
    # Reopened and resolved again: still one survey, one job.
    inbox_service.update_conversation(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=conversation_id,
        data=ConversationUpdate(status=ConversationStatus.OPEN),
    )
    _resolve(db, world, conversation_id, now=T0 + timedelta(hours=1))
    assert len(db.scalars(select(CsatSurvey)).all()) == 1
    assert len(db.scalars(select(Job).where(Job.kind == service.ASK_JOB)).all()) == 1
    db.rollback()


def test_email_gets_the_question_with_one_signed_link_per_rating(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    survey = _asked(db, world, email_inbox)
    message = db.get(Message, survey.message_id)
    db.rollback()
    assert message is not None and message.conversation_id == survey.conversation_id
    assert "How would you rate the help you received?" in message.text
    links = LINK.findall(message.text)
    assert [int(r) for _, r in links] == [5, 4, 3, 2, 1]
    assert {service.survey_of(SECRET_KEY, token) for token, _ in links} == {survey.id}
    # Asked once: the job running again sends nothing more.
    assert not service.ask(db, survey_id=survey.id, base_url=BASE, secret=SECRET_KEY)


def test_the_chat_widget_gets_the_question_alone(db: Session, world: World, chat_inbox: InboxPublic) -> None:
    survey = _asked(db, world, chat_inbox, sender="visitor-7")
    message = db.get(Message, survey.message_id)
    db.rollback()
    assert message is not None and message.text == "How would you rate the help you received?"


def test_a_conversation_reopened_before_the_question_is_not_asked(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    _ask_after_resolution(db, world, email_inbox, delay=60)
    conversation_id = _conversation(db, email_inbox)
    _resolve(db, world, conversation_id)
    survey = _survey(db, conversation_id)
    assert survey is not None
    inbox_service.update_conversation(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=conversation_id,
        data=ConversationUpdate(status=ConversationStatus.OPEN),
    )
    assert not service.ask(db, survey_id=survey.id, base_url=BASE, secret=SECRET_KEY)
    db.commit()
    assert _survey(db, conversation_id) is None  # dropped: the next resolution asks


def test_answered_once_and_the_rating_joins_the_conversation_history(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    survey = _asked(db, world, email_inbox)
    answered = service.answer(
        db, survey_id=survey.id, data=CsatAnswer(rating=4, comment="Quick and kind"), via=AnsweredVia.LINK
    )
    assert answered.rating == 4 and answered.answered_via == "link"
    with pytest.raises(AlreadyAnswered):
        service.answer(db, survey_id=survey.id, data=CsatAnswer(rating=1), via=AnsweredVia.LINK)
    db.rollback()
    assert _survey(db, survey.conversation_id).rating == 4  # type: ignore[union-attr]
    (event,) = db.scalars(
        select(ConversationEvent).where(
            ConversationEvent.conversation_id == survey.conversation_id,
            ConversationEvent.kind == ConversationEventKind.RATED,
        )
    ).all()
    db.rollback()
    assert event.detail == {"rating": 4, "scale": 5, "comment": "Quick and kind"}


def test_a_forged_or_altered_link_names_no_survey() -> None:
    survey_id = uuid.uuid4()
    token = service.link_token(SECRET_KEY, survey_id)
    assert service.survey_of(SECRET_KEY, token) == survey_id
    other = uuid.uuid4()
    assert service.survey_of(SECRET_KEY, f"{other.hex}.{token.partition('.')[2]}") is None
    assert service.survey_of(SECRET_KEY, token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert service.survey_of("another secret", token) is None
    assert service.survey_of(SECRET_KEY, "not-a-token") is None


def test_the_link_page_records_the_answer_once(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    survey = _asked(db, world, email_inbox)
    token = service.link_token(SECRET_KEY, survey.id)
    page = client.get(f"/feedback/csat/{token}?rating=2")
    assert page.status_code == 200 and 'value="2" required checked' in page.text
    assert _survey(db, survey.conversation_id).rating is None  # type: ignore[union-attr]  # opening records nothing
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    sent = client.post(
        f"/feedback/csat/{token}", data={"csrf_token": csrf.group(1), "rating": "2", "comment": "Too slow"}
    )
    assert sent.status_code == 200 and 'data-answered="2"' in sent.text
    again = client.post(f"/feedback/csat/{token}", data={"csrf_token": csrf.group(1), "rating": "5"})
    assert again.status_code == 409 and 'data-answered="2"' in again.text
    stored = _survey(db, survey.conversation_id)
    assert stored is not None and stored.rating == 2 and stored.comment == "Too slow"
    forged = service.link_token("another secret", survey.id)
    assert client.get(f"/feedback/csat/{forged}").status_code == 404
    refused = client.post(f"/feedback/csat/{forged}", data={"csrf_token": csrf.group(1), "rating": "5"})
    assert refused.status_code == 404


def test_the_widget_rates_only_the_visitors_own_survey(
    client: TestClient, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    _ask_after_resolution(db, world, chat_inbox)
    session = client.post(f"/chat/{chat_inbox.address}/session", content="{}").json()
    visitor, signature = session["visitor_id"], session["signature"]
    sent = client.post(
        f"/chat/{chat_inbox.address}/messages",
        json={"visitor_id": visitor, "signature": signature, "text": "Hi", "client_message_id": "c1"},
    )
    assert sent.status_code == 201, sent.text
    conversation_id = uuid.UUID(sent.json()["conversation_id"])
    _resolve(db, world, conversation_id, now=datetime.now(UTC))
    survey = _survey(db, conversation_id)
    assert survey is not None
    assert service.ask(db, survey_id=survey.id, base_url=BASE, secret=SECRET_KEY)
    db.commit()
    query = {"visitor": visitor, "signature": signature}
    history = client.get(f"/chat/{chat_inbox.address}/messages", params=query).json()["messages"]
    (question,) = [m for m in history if "csat" in m]
    assert question["csat"] == {"survey_id": str(survey.id), "rating": None, "scale": 5}
    # Another visitor of the same widget cannot rate it.
    stranger = client.post(f"/chat/{chat_inbox.address}/session", content="{}").json()
    body = '{"visitor_id": "%s", "signature": "%s", "survey_id": "%s", "rating": 1}'
    refused = client.post(
        f"/chat/{chat_inbox.address}/csat",
        content=body % (stranger["visitor_id"], stranger["signature"], survey.id),
    )
    assert refused.status_code == 404
    rated = client.post(
        f"/chat/{chat_inbox.address}/csat", content=body.replace("1}", "5}") % (visitor, signature, survey.id)
    )
    assert rated.status_code == 201
    again = client.post(f"/chat/{chat_inbox.address}/csat", content=body % (visitor, signature, survey.id))
    assert again.status_code == 409 and again.json()["code"] == "feedback_already_answered"
    history = client.get(f"/chat/{chat_inbox.address}/messages", params=query).json()["messages"]
    assert [m["csat"]["rating"] for m in history if "csat" in m] == [5]


def test_the_report_counts_as_computed_by_hand(db: Session, world: World, email_inbox: InboxPublic) -> None:
    """Two agents: A answered 5, 4, 2 and one unanswered; B answered 1. CSAT = satisfied / answered."""
    memberships = {m.user_id: m.id for m in auth_service.list_members(db, workspace_id=world.workspace.id)}
    a, b = (memberships[world.members[role].principal.user_id] for role in (Role.AGENT, Role.ADMIN))
    plan = [(a, 5), (a, 4), (a, 2), (a, None), (b, 1)]
    for n, (agent, rating) in enumerate(plan):
        survey = _asked(db, world, email_inbox, sender=f"c{n}@example.com")
        db.execute(
            CsatSurvey.__table__.update()  # type: ignore[attr-defined]
            .where(CsatSurvey.id == survey.id)
            .values(agent_id=agent)
        )
        db.commit()
        if rating is not None:
            service.answer(db, survey_id=survey.id, data=CsatAnswer(rating=rating), via=AnsweredVia.LINK)
    report = service.csat_report(
        db,
        workspace_id=world.workspace.id,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        group=CsatGroup.AGENT,
    )
    rows = {r.key: r for r in report.rows}
    first = rows[str(a)]
    assert (first.asked, first.answered, first.satisfied) == (4, 3, 2)
    assert first.csat == pytest.approx(2 / 3, abs=1e-4) and first.average == pytest.approx(11 / 3, abs=0.01)
    assert first.response_rate == pytest.approx(0.75)
    second = rows[str(b)]
    assert (second.asked, second.answered, second.satisfied, second.csat) == (1, 1, 0, 0.0)
    assert (report.total.asked, report.total.answered, report.total.satisfied) == (5, 4, 2)
    assert report.total.csat == pytest.approx(0.5) and report.total.average == pytest.approx(3.0)
    # Wilson, 2 of 4: centre = (0.5 + 0.48018) / 1.96036 = 0.5, half = 1.96 × sqrt(0.0625 + 0.060021) / 1.96036
    # = 0.34996 → [0.1500, 0.8500]
    assert report.total.csat_low == pytest.approx(0.15, abs=1e-3) and report.total.csat_high == pytest.approx(
        0.85, abs=1e-3
    )
    assert report.distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    outside = service.csat_report(
        db, workspace_id=world.workspace.id, start=date(2026, 4, 1), end=date(2026, 4, 30)
    )
    assert outside.total.asked == 0 and outside.total.csat is None


def test_settings_refuse_an_unknown_language_and_another_workspaces_inbox(
    db: Session, world: World, other_world: World, email_inbox: InboxPublic
) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        CsatSettingUpdate(enabled=True, wording={"de": "Wie war es?"})
    with pytest.raises(NotFound):
        service.update_setting(
            db,
            principal=other_world.members[Role.OWNER].principal,
            inbox_id=email_inbox.id,
            data=CsatSettingUpdate(enabled=True),
        )


def test_the_worker_asks_when_the_job_is_due(
    db: Session, world: World, runtime: Runtime, email_inbox: InboxPublic
) -> None:
    _ask_after_resolution(db, world, email_inbox)
    conversation_id = _conversation(db, email_inbox)
    _resolve(db, world, conversation_id, now=datetime.now(UTC))
    drain(runtime)
    survey = _survey(db, conversation_id)
    assert survey is not None and survey.asked_at is not None and survey.message_id is not None


def test_the_pages_show_the_report_and_the_settings(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    survey = _asked(db, world, email_inbox)
    service.answer(db, survey_id=survey.id, data=CsatAnswer(rating=5, comment="Lovely"), via=AnsweredVia.LINK)
    analyst = world.members[Role.ANALYST]
    sign_in(client, analyst.email, analyst.password)
    page = client.get(
        "/feedback/satisfaction",
        params={"date_from": "2026-03-01", "date_to": "2026-03-31", "group": "channel"},
    )
    assert page.status_code == 200, page.text
    assert '<span class="value" data-metric="csat">100%</span>' in page.text
    assert 'data-group="email"' in page.text and "Lovely" in page.text
    assert client.get("/settings/satisfaction").status_code == 403  # an analyst reads, does not set up
    owner = world.members[Role.OWNER]
    client.cookies.clear()
    sign_in(client, owner.email, owner.password)
    settings = client.get("/settings/satisfaction")
    assert settings.status_code == 200 and f'data-inbox="{email_inbox.id}"' in settings.text


def test_the_cli_turns_an_inbox_on_and_prints_the_report(
    db: Session, world: World, email_inbox: InboxPublic, cli_env: dict[str, str]
) -> None:
    runner = CliRunner()
    slug = world.workspace.slug
    turned = runner.invoke(
        cli_app,
        ["feedback", "csat-set", "-w", slug, str(email_inbox.id), "--on", "--delay", "15"],
        env=cli_env,
    )
    assert turned.exit_code == 0, turned.output
    assert "on, 15 min" in turned.output
    listed = runner.invoke(cli_app, ["feedback", "csat-settings", "-w", slug], env=cli_env)
    assert f"{email_inbox.id}" in listed.output and "on, 15 min after resolution" in listed.output
    report = runner.invoke(
        cli_app, ["feedback", "csat-report", "-w", slug, "--group", "channel", "--csv"], env=cli_env
    )
    assert report.exit_code == 0, report.output
    assert (
        report.output.splitlines()[0]
        == "channel,asked,answered,satisfied,csat,csat_low,csat_high,average,response_rate"
    )
