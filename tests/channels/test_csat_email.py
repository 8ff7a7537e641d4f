"""The satisfaction question by email, over real SMTP: resolving the conversation queues the question, the
delivery job mails it through the local sink with one signed link per rating, and the link's page stores the
customer's answer once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.feedback import service as feedback_service
from omnicx.inbox import service as inbox_service
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.channels.conftest import SmtpSink
from tests.conftest import World
from tests.inbox.conftest import drain, inbound

LINK = re.compile(r"(https?://\S+/feedback/csat/\S+\?rating=(\d))")


def test_the_mailed_question_links_to_a_page_that_stores_the_answer_once(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:
    turned_on = client.put(
        f"/api/v1/feedback/csat/settings/{email_inbox.id}",
        json={"enabled": True, "delay_minutes": 0},
        headers=world.token(Role.ADMIN),
    )
    assert turned_on.status_code == 200, turned_on.text
    got = inbox_service.receive(
        db, inbox_id=email_inbox.id, message=inbound("alice@example.com", "Where is my order?")
    )
    db.commit()
    resolved = client.patch(
        f"/api/v1/inbox/conversations/{got.conversation_id}",
        json={"status": "resolved"},
        headers=world.token(Role.AGENT),
    )
    assert resolved.status_code == 200, resolved.text
    drain(runtime)  # the question, then its delivery
    [mail] = smtp_sink.messages
    assert mail["To"].endswith("<alice@example.com>") and mail["Subject"] == "Re: Order 42"
    links = LINK.findall(mail.get_content())
    assert [rating for _, rating in links] == ["5", "4", "3", "2", "1"]
    four = urlsplit(links[1][0])
    page = client.get(f"{four.path}?{four.query}")
    assert page.status_code == 200 and 'value="4" required checked' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    sent = client.post(four.path, data={"csrf_token": csrf.group(1), "rating": "4", "comment": "Fine"})
    assert sent.status_code == 200 and 'data-answered="4"' in sent.text
    survey = feedback_service.conversation_survey(
        db, workspace_id=world.workspace.id, conversation_id=got.conversation_id
    )
    db.rollback()
    assert survey is not None and (survey.rating, survey.comment, survey.answered_via) == (4, "Fine", "link")
    report = client.get(
        "/api/v1/feedback/csat/conversations/" + str(got.conversation_id), headers=world.token(Role.VIEWER)
    )
    assert report.status_code == 200 and report.json()["rating"] == 4
