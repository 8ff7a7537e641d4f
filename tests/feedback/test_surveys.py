"""Surveys sent to chosen customers on their own channel: the sending job (throttled, exactly once), the signed
answer page (answered once; a forged or satisfaction link opens nothing), the NPS with its interval computed by
hand, and the REST, page and CLI faces."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.feedback import service
from omnicx.feedback.enums import SurveyKind
from omnicx.feedback.errors import AlreadyAnswered
from omnicx.feedback.models import SurveyInvitation
from omnicx.feedback.schemas import SurveyAnswer, SurveyAudience, SurveyCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox.models import Conversation, Message
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service as tracking_service
from tests.conftest import SECRET_KEY, World
from tests.helpers import sign_in
from tests.inbox.conftest import drain, inbound

BASE = "https://cx.example.com"
LINK = re.compile(r"https://cx\.example\.com/feedback/s/([0-9a-f]{32}\.[A-Za-z0-9_-]+)")


def _customers(db: Session, world: World, *names: str) -> list[uuid.UUID]:
    ids = []
    for name in names:
        customer = identity_service.resolve(
            db,
            workspace_id=world.workspace.id,
            identifiers=[Identifier(kind=IdentifierKind.EMAIL, value=f"{name}@example.com")],
            traits={"name": name.title()},
        )
        assert customer is not None
        ids.append(customer)
    db.commit()
    return ids


def _survey(
    db: Session, world: World, throttle_days: int = 30, kind: SurveyKind = SurveyKind.NPS
) -> uuid.UUID:
    owner = world.members[Role.OWNER].principal
    return service.create_survey(
        db,
        principal=owner,
        data=SurveyCreate(name="How are we doing?", kind=kind, throttle_days=throttle_days),
    ).id


def _send(db: Session, survey_id: uuid.UUID, customers: list[uuid.UUID]) -> int:
    asked = service.send_to(db, survey_id=survey_id, customer_ids=customers, base_url=BASE, secret=SECRET_KEY)
    db.commit()
    return asked


def _invitations(db: Session, survey_id: uuid.UUID) -> int:
    count = db.scalar(
        select(func.count()).select_from(SurveyInvitation).where(SurveyInvitation.survey_id == survey_id)
    )
    db.rollback()
    return int(count or 0)


def _link(db: Session) -> str:
    """The token of the newest survey link mailed."""
    texts = db.scalars(select(Message.text).where(Message.text.contains("/feedback/s/"))).all()
    db.rollback()
    tokens = [m.group(1) for text in texts for m in LINK.finditer(text)]
    assert tokens
    return tokens[-1]


def test_the_job_asks_each_customer_once_on_their_channel(
    db: Session, world: World, runtime: Runtime, email_inbox: InboxPublic
) -> None:
    alice, bob = _customers(db, world, "alice", "bob")
    survey_id = _survey(db, world)
    sending = service.send_survey(
        db,
        principal=world.members[Role.OWNER].principal,
        survey_id=survey_id,
        audience=SurveyAudience(customer_ids=[alice, bob]),
    )
    assert sending.queued == 2
    drain(runtime)
    assert _invitations(db, survey_id) == 2
    notices = db.scalars(select(Message).where(Message.text.contains("/feedback/s/"))).all()
    db.rollback()
    assert len(notices) == 2 and all("How likely are you to recommend us" in m.text for m in notices)
    # Run again (a retried job): nobody is asked twice, no second message.
    assert _send(db, survey_id, [alice, bob]) == 0
    assert _invitations(db, survey_id) == 2


def test_a_customer_asked_lately_is_not_asked_another_survey(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    (alice,) = _customers(db, world, "alice")
    assert _send(db, _survey(db, world), [alice]) == 1
    assert _send(db, _survey(db, world, throttle_days=30), [alice]) == 0  # asked within 30 days
    assert _send(db, _survey(db, world, throttle_days=0), [alice]) == 1  # this survey asks regardless


def test_nobody_to_reach_is_not_asked_nor_throttled(db: Session, world: World) -> None:
    (alice,) = _customers(db, world, "alice")  # no email inbox proven: no channel reaches her
    survey_id = _survey(db, world)
    assert _send(db, survey_id, [alice]) == 0 and _invitations(db, survey_id) == 0


def test_an_empty_audience_is_refused(db: Session, world: World) -> None:
    with pytest.raises(Invalid, match="nobody"):
        service.send_survey(
            db,
            principal=world.members[Role.OWNER].principal,
            survey_id=_survey(db, world),
            audience=SurveyAudience(seen_within_days=1),
        )


def test_the_nps_and_its_interval_by_hand(db: Session, world: World, email_inbox: InboxPublic) -> None:
    """Scores 10, 9 and 3: two promoters, one detractor, NPS = 100 × (2 - 1) / 3 = 33.3. Adjusted Wald:
    n' = 6, p' = 2.75/6 = 0.458333, d' = 1.75/6 = 0.291667, centre = 0.166667, variance = 0.75 - 0.027778
    = 0.722222, SE = sqrt(0.722222/6) = 0.346944, half = 0.680002 → [-51.3, 84.7]."""
    customers = _customers(db, world, "alice", "bob", "carol", "dan")
    survey_id = _survey(db, world)
    assert _send(db, survey_id, customers) == 4
    invitations = db.scalars(select(SurveyInvitation.id).where(SurveyInvitation.survey_id == survey_id)).all()
    db.rollback()
    for invitation_id, score in zip(invitations, (10, 9, 3), strict=False):
        service.answer_invitation(
            db, invitation_id=invitation_id, data=SurveyAnswer(score=score, comment="ok")
        )
    with pytest.raises(AlreadyAnswered):
        service.answer_invitation(db, invitation_id=invitations[0], data=SurveyAnswer(score=0))
    db.rollback()
    results = service.survey_results(db, workspace_id=world.workspace.id, survey_id=survey_id)
    db.rollback()
    assert (results.total.invited, results.total.answered) == (4, 3)
    assert (results.promoters, results.passives, results.detractors) == (2, 0, 1)
    assert results.total.score == 33.3 and (results.total.low, results.total.high) == (-51.3, 84.7)
    assert (
        results.distribution[10] == 1
        and results.distribution[3] == 1
        and sum(results.distribution.values()) == 3
    )
    assert [g.key for g in results.by_channel] == ["email"] and results.by_channel[0].answered == 3
    today = datetime.now(ZoneInfo(world.workspace.timezone)).date()  # the workspace's day, as reports count
    ws, before = world.workspace.id, today - timedelta(days=1)
    by_channel = service.nps_by_channel(db, workspace_id=ws, start=today, end=today)
    yesterday = service.nps_by_channel(db, workspace_id=ws, start=before, end=before)
    db.rollback()
    assert by_channel.keys() == {"email"} and by_channel["email"][1] == 3
    assert by_channel["email"][0] == pytest.approx(100 / 3) and yesterday == {}  # answered today, not before


def test_a_csat_survey_refuses_an_nps_score(db: Session, world: World, email_inbox: InboxPublic) -> None:
    (alice,) = _customers(db, world, "alice")
    survey_id = _survey(db, world, kind=SurveyKind.CSAT)
    _send(db, survey_id, [alice])
    invitation = db.scalar(select(SurveyInvitation.id).where(SurveyInvitation.survey_id == survey_id))
    db.rollback()
    assert invitation is not None
    with pytest.raises(Invalid, match="from 1 to 5"):
        service.answer_invitation(db, invitation_id=invitation, data=SurveyAnswer(score=9))


def test_the_answer_page_stores_once_and_refuses_forged_links(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    (alice,) = _customers(db, world, "alice")
    survey_id = _survey(db, world)
    _send(db, survey_id, [alice])
    token = _link(db)
    page = client.get(f"/feedback/s/{token}")
    assert page.status_code == 200 and 'name="score" value="10"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    sent = client.post(
        f"/feedback/s/{token}",
        data={"csrf_token": csrf.group(1), "score": "2", "comment": "Too slow, disappointed"},
    )
    assert sent.status_code == 200 and 'data-answered="2"' in sent.text
    again = client.post(f"/feedback/s/{token}", data={"csrf_token": csrf.group(1), "score": "10"})
    assert again.status_code == 409
    results = service.survey_results(db, workspace_id=world.workspace.id, survey_id=survey_id)
    db.rollback()
    assert results.total.answered == 1 and results.verbatims[0].sentiment is not None
    assert results.verbatims[0].sentiment < 0  # "disappointed" reads negative
    invitation_id = uuid.UUID(hex=token.partition(".")[0])
    forged = f"{invitation_id.hex}.{service.link_token(SECRET_KEY, invitation_id).partition('.')[2]}"
    assert client.get(f"/feedback/s/{forged}").status_code == 404  # a satisfaction link's signature
    assert client.get(f"/feedback/s/{uuid.uuid4().hex}.AAAA").status_code == 404


def test_rest_pages_and_cli(
    client: TestClient,
    db: Session,
    world: World,
    runtime: Runtime,
    email_inbox: InboxPublic,
    cli_env: dict[str, str],
) -> None:
    (alice,) = _customers(db, world, "alice")
    created = client.post(
        "/api/v1/feedback/surveys",
        json={"name": "Quarterly NPS", "kind": "nps"},
        headers=world.token(Role.ADMIN),
    )
    assert created.status_code == 201, created.text
    survey_id = created.json()["id"]
    assert (
        client.post(
            "/api/v1/feedback/surveys", json={"name": "x"}, headers=world.token(Role.ANALYST)
        ).status_code
        == 403
    )
    sent = client.post(
        f"/api/v1/feedback/surveys/{survey_id}/send",
        json={"customer_ids": [str(alice)]},
        headers=world.token(Role.ADMIN),
    )
    assert sent.status_code == 202 and sent.json()["queued"] == 1
    drain(runtime)
    results = client.get(f"/api/v1/feedback/surveys/{survey_id}/results", headers=world.token(Role.VIEWER))
    assert results.status_code == 200 and results.json()["total"]["invited"] == 1
    csv = client.get(f"/api/v1/feedback/surveys/{survey_id}/results.csv", headers=world.token(Role.VIEWER))
    assert csv.status_code == 200 and csv.text.splitlines()[1].startswith("channel,email,1,0")
    png = client.get(f"/api/v1/feedback/surveys/{survey_id}/chart.png", headers=world.token(Role.VIEWER))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    listing = client.get("/feedback/surveys")
    assert (
        listing.status_code == 200 and "Quarterly NPS" in listing.text and 'id="survey-form"' in listing.text
    )
    page = client.get(f"/feedback/surveys/{survey_id}")
    assert page.status_code == 200 and 'data-channel="email"' in page.text and 'id="send-form"' in page.text
    assert 'data-first-touch="unknown"' in page.text  # Alice never touched a channel: how she came is unknown
    result = CliRunner().invoke(cli_app, ["feedback", "surveys", "-w", world.workspace.slug], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "Quarterly NPS" in result.output and "0/1 answered" in result.output


def test_results_by_how_each_customer_first_came(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    """Alice and Bob first came from paid search, Carol from a store visit, Dan never touched: 10 and 9 from
    paid search (NPS 100), 3 from the store (NPS -100), Dan asked and silent."""
    alice, bob, carol, dan = _customers(db, world, "alice", "bob", "carol", "dan")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("UTC"))
    for customer, channel, days in ((alice, "Paid Search", 0), (bob, "Paid Search", 1), (carol, "Store", 0)):
        tracking_service.record_touchpoint(
            db,
            workspace_id=world.workspace.id,
            customer_id=customer,
            channel=channel,
            kind="visit",
            at=start + timedelta(days=days),
        )
        # A later touch on another channel does not change how they first came.
        tracking_service.record_touchpoint(
            db,
            workspace_id=world.workspace.id,
            customer_id=customer,
            channel="Email",
            kind="visit",
            at=start + timedelta(days=10),
        )
    db.commit()
    analytics_service.sync(runtime)
    survey_id = _survey(db, world)
    assert _send(db, survey_id, [alice, bob, carol, dan]) == 4
    invitations = dict(
        db.execute(
            select(SurveyInvitation.customer_id, SurveyInvitation.id).where(
                SurveyInvitation.survey_id == survey_id
            )
        ).all()
    )
    db.rollback()
    for customer, score in ((alice, 10), (bob, 9), (carol, 3)):
        service.answer_invitation(db, invitation_id=invitations[customer], data=SurveyAnswer(score=score))
    results = service.survey_results(db, workspace_id=world.workspace.id, survey_id=survey_id)
    db.rollback()
    groups = {g.key: (g.invited, g.answered, g.score) for g in results.by_first_touch}
    assert groups == {"Paid Search": (2, 2, 100.0), "Store": (1, 1, -100.0), "unknown": (1, 0, None)}
    assert [g.key for g in results.by_first_touch] == ["Paid Search", "Store", "unknown"]
    lines = service.survey_csv(results).splitlines()
    assert "first_touch,Paid Search,2,2,100.0" in "\n".join(lines)


def test_each_customer_is_asked_in_the_language_they_write_in(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    alice, bob = _customers(db, world, "alice", "bob")
    got = inbox_service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("alice@example.com", "Bonjour, je n'ai pas reçu ma commande."),
    )
    conversation = db.get(Conversation, got.conversation_id)
    assert conversation is not None
    conversation.customer_id = alice  # her address, as a verified sender's conversation carries it
    db.commit()
    survey_id = _survey(db, world)
    assert _send(db, survey_id, [alice, bob]) == 2
    languages = dict(
        db.execute(
            select(SurveyInvitation.customer_id, SurveyInvitation.language).where(
                SurveyInvitation.survey_id == survey_id
            )
        ).all()
    )
    asked = db.scalars(select(Message.text).where(Message.text.contains("/feedback/s/"))).all()
    db.rollback()
    assert languages == {alice: "fr", bob: world.workspace.default_language}
    assert any("recommandiez" in text for text in asked) and any("recommend" in text for text in asked)


def test_follow_up_questions_are_asked_answered_and_counted(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic, cli_env: dict[str, str]
) -> None:
    made = CliRunner().invoke(
        cli_app,
        [
            "feedback",
            "survey-create",
            "-w",
            world.workspace.slug,
            "After your visit",
            "--follow-up",
            "choice:What brought you?|Price|Choice|Advice",
            "--follow-up",
            "text:Anything we should change?",
        ],
        env=cli_env,
    )
    assert made.exit_code == 0, made.output
    survey_id = uuid.UUID(made.output.split()[0])
    refused = CliRunner().invoke(
        cli_app,
        ["feedback", "survey-create", "-w", world.workspace.slug, "Bad", "--follow-up", "choice:Only one|A"],
        env=cli_env,
    )
    assert refused.exit_code == 1 and "2 to 10 different options" in refused.output
    alice, bob = _customers(db, world, "alice", "bob")
    assert _send(db, survey_id, [alice, bob]) == 2
    invitations = dict(
        db.execute(
            select(SurveyInvitation.customer_id, SurveyInvitation.id).where(
                SurveyInvitation.survey_id == survey_id
            )
        ).all()
    )
    db.rollback()
    token = service.survey_link("", SECRET_KEY, invitations[alice]).rpartition("/")[2]
    page = client.get(f"/feedback/s/{token}")
    assert 'name="follow_up_0" value="Advice"' in page.text and 'name="follow_up_1"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    not_an_option = client.post(
        f"/feedback/s/{token}", data={"csrf_token": csrf.group(1), "score": "9", "follow_up_0": "Luck"}
    )
    assert not_an_option.status_code == 422 and "not an option" in not_an_option.text
    sent = client.post(
        f"/feedback/s/{token}",
        data={
            "csrf_token": csrf.group(1),
            "score": "9",
            "follow_up_0": "Advice",
            "follow_up_1": "Open on Sundays",
        },
    )
    assert sent.status_code == 200
    service.answer_invitation(
        db,
        invitation_id=invitations[bob],
        data=SurveyAnswer(score=4, follow_ups=["Price"]),  # no text: skipped
    )
    results = service.survey_results(db, workspace_id=world.workspace.id, survey_id=survey_id)
    db.rollback()
    choice, text = results.follow_ups
    assert (choice.answered, choice.options) == (2, {"Price": 1, "Choice": 0, "Advice": 1})
    assert (text.answered, text.texts) == (1, ["Open on Sundays"])
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    shown = client.get(f"/feedback/surveys/{survey_id}")
    assert 'data-option="Advice"' in shown.text and "Open on Sundays" in shown.text
    form = client.get("/feedback/surveys")
    csrf_form = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf_form
    created = client.post(
        "/feedback/surveys",
        data={
            "csrf_token": csrf_form.group(1),
            "name": "Store visit",
            "follow_up_kind": "choice",
            "follow_up_prompt": "Which store?",
            "follow_up_options": "Paris\nLyon\n\n",
        },
        follow_redirects=True,
    )
    assert (
        created.status_code == 200 and "Which store?" in created.text and 'data-option="Lyon"' in created.text
    )
