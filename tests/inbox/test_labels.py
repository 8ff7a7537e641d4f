"""A conversation's status and priority read in the agent's language on every inbox page, each word in its own
meaning ("Medium" the priority is not "Medium" the marketing medium), and the page's previous / next links
stay two links apart."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.enums import ConversationStatus, Priority
from omnicx.inbox.labels import priority_label, status_label
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic, InboxView
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.i18n import set_language
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound

FRENCH = {"accept-language": "fr"}


@pytest.mark.parametrize(
    ("language", "pending", "snoozed", "high", "medium", "low"),
    [
        ("fr", "En attente", "En pause", "Haute", "Moyenne", "Basse"),
        ("id", "Tertunda", "Ditunda", "Tinggi", "Sedang", "Rendah"),
        ("ca", "Pendent", "Ajornada", "Alta", "Mitjana", "Baixa"),
    ],
)
def test_statuses_and_priorities_are_translated(
    language: str, pending: str, snoozed: str, high: str, medium: str, low: str
) -> None:
    set_language(language)
    try:
        assert status_label(ConversationStatus.PENDING) == pending
        assert status_label(ConversationStatus.SNOOZED) == snoozed
        assert (
            priority_label(Priority.HIGH),
            priority_label(Priority.MEDIUM),
            priority_label(Priority.LOW),
        ) == (
            high,
            medium,
            low,
        )
    finally:
        set_language("en")


def test_conversation_pages_name_status_and_priority_in_french(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT]
    first = service.receive(db, inbox_id=email_inbox.id, message=inbound("a@example.com", "Where is it?"))
    service.receive(db, inbox_id=email_inbox.id, message=inbound("b@example.com", "Hello"))
    service.update_conversation(
        db,
        principal=agent.principal,
        conversation_id=first.conversation_id,
        data=ConversationUpdate(status=ConversationStatus.PENDING, priority=Priority.MEDIUM),
    )
    db.rollback()
    sign_in(client, agent.email, agent.password)

    page = client.get(f"/inbox/conversations/{first.conversation_id}", headers=FRENCH)
    assert page.status_code == 200
    html = unescape(page.text)
    assert '<span class="badge" id="conversation-status">En attente</span>' in html
    assert '<span class="badge">Moyenne</span>' in html
    assert '<option value="medium" selected>Moyenne</option>' in html
    assert '<option value="snoozed" >En pause</option>' in html
    assert ": En attente</li>" in html  # the activity log names the new status too
    assert ">Pending<" not in html and ">Medium<" not in html

    listed = unescape(client.get("/inbox", params={"status": "pending"}, headers=FRENCH).text)
    assert (
        '<span class="badge">En attente</span>' in listed and '<span class="badge">Moyenne</span>' in listed
    )
    assert ">Snoozed<" not in listed and ">High<" not in listed and ">Low<" not in listed


def test_previous_and_next_are_two_separate_links(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    for n in range(3):
        service.receive(db, inbox_id=email_inbox.id, message=inbound(f"mail{n}@example.com", "Hello"))
    agent = world.members[Role.AGENT]
    middle = service.list_conversations(db, principal=agent.principal, view=InboxView())[1].id
    db.rollback()
    sign_in(client, agent.email, agent.password)

    html = client.get(f"/inbox/conversations/{middle}").text
    nav = html.split('<nav class="neighbours"')[1].split("</nav>")[0]
    text = re.sub(r"<[^>]+>", "", nav.split(">", 1)[1])
    assert "PreviousNext" not in text
    assert re.search(r"Previous\s+Next", text)
