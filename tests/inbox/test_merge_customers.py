"""Merging duplicate customers from the conversation page: find by name, email or phone, merge through
identity, and the sidebar then shows one person's conversations; only roles that manage customers may."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.customers import service as customers_service
from omnicx.inbox import service
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import session_csrf, sign_in
from tests.inbox.conftest import inbound


def _sidebar(page: str) -> str:
    return page.split('id="customer-sidebar"', 1)[1].split("</section>", 1)[0]


def _two_people(db: Session, email_inbox: InboxPublic, chat_inbox: InboxPublic) -> tuple[str, str, str]:
    """Alice writes by email, then from the chat signed in with her work address: two customers (same
    person), both proven."""
    home = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("alice@example.com", "Where is it?", sender_verified=True),
    )
    work = service.receive(
        db,
        inbox_id=chat_inbox.id,
        message=inbound(
            "visitor-77",
            "Hello again",
            email="alice.lambert@work.example.com",
            name="Alice Lambert",
            sender_verified=True,
        ),
    )
    detail = service.get_conversation(
        db, workspace_id=email_inbox.workspace_id, conversation_id=work.conversation_id
    )
    db.rollback()
    assert detail.customer_id is not None
    return str(home.conversation_id), str(work.conversation_id), str(detail.customer_id)


def test_an_agent_finds_and_merges_a_duplicate_from_the_conversation(
    app,  # type: ignore[no-untyped-def]
    client: TestClient,
    db: Session,
    world: World,
    email_inbox: InboxPublic,
    chat_inbox: InboxPublic,
) -> None:
    home, work, duplicate = _two_people(db, email_inbox, chat_inbox)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    before = client.get(f"/inbox/conversations/{home}")
    assert 'id="merge-customer"' in before.text and f"/inbox/conversations/{work}" not in _sidebar(
        before.text
    )
    found = client.get(f"/inbox/conversations/{home}", params={"duplicate_q": "lambert"})
    assert f'value="{duplicate}"' in found.text and "alice.lambert@work.example.com" in found.text
    nobody = client.get(f"/inbox/conversations/{home}", params={"duplicate_q": "nobody-matches-this"})
    assert 'name="source_id"' not in nobody.text.split('id="merge-customer"')[1].split("</details>")[0]
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    done = client.post(
        f"/inbox/conversations/{home}/merge-customer",
        data={"source_id": duplicate},
        headers=csrf,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/inbox/conversations/{home}"
    after = client.get(f"/inbox/conversations/{home}")
    assert f"/inbox/conversations/{work}" in _sidebar(after.text)  # her chat now shows beside the email
    view = customers_service.get_customer_360(
        db, workspace_id=world.workspace.id, customer_id=uuid.UUID(duplicate)
    )
    db.rollback()
    assert str(view.customer.id) != duplicate and duplicate in {str(i) for i in view.merged_customer_ids}
    bad = client.post(f"/inbox/conversations/{home}/merge-customer", data={"source_id": "x"}, headers=csrf)
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_a_viewer_can_neither_see_nor_use_the_merge(
    app,  # type: ignore[no-untyped-def]
    client: TestClient,
    db: Session,
    world: World,
    email_inbox: InboxPublic,
    chat_inbox: InboxPublic,
) -> None:
    home, _work, duplicate = _two_people(db, email_inbox, chat_inbox)
    viewer = world.members[Role.VIEWER]
    sign_in(client, viewer.email, viewer.password)
    page = client.get(f"/inbox/conversations/{home}", params={"duplicate_q": "lambert"})
    assert page.status_code == 200 and 'id="merge-customer"' not in page.text
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    refused = client.post(
        f"/inbox/conversations/{home}/merge-customer", data={"source_id": duplicate}, headers=csrf
    )
    assert refused.status_code == 403
