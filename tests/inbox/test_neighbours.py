"""`j` / `k` on a conversation walk the list the agent came from: the page links its previous and next
conversation in that list's order, keeping the list's filters; none at the ends or off the list."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import InboxPublic, InboxView
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound

PREVIOUS = re.compile(r'href="([^"]+)" rel="prev" data-previous-conversation')
NEXT = re.compile(r'href="([^"]+)" rel="next" data-next-conversation')


def _links(client: TestClient, url: str) -> tuple[str | None, str | None]:
    page = client.get(url)
    assert page.status_code == 200
    previous, following = PREVIOUS.search(page.text), NEXT.search(page.text)
    return (previous.group(1) if previous else None), (following.group(1) if following else None)


def test_neighbours_follow_the_list_order_and_filters(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic, chat_inbox: InboxPublic
) -> None:
    for n in range(3):
        service.receive(db, inbox_id=email_inbox.id, message=inbound(f"mail{n}@example.com", "Hello"))
        service.receive(db, inbox_id=chat_inbox.id, message=inbound(f"visitor-{n}", "Hi"))
    agent = world.members[Role.AGENT]
    everything = [c.id for c in service.list_conversations(db, principal=agent.principal, view=InboxView())]
    chats = [
        c.id
        for c in service.list_conversations(
            db, principal=agent.principal, view=InboxView(channel=MessagingChannel.CHAT)
        )
    ]
    db.rollback()
    assert len(everything) == 6 and len(chats) == 3
    sign_in(client, agent.email, agent.password)

    previous, following = _links(client, f"/inbox/conversations/{everything[2]}")
    assert previous == f"/inbox/conversations/{everything[1]}"
    assert following == f"/inbox/conversations/{everything[3]}"
    assert _links(client, f"/inbox/conversations/{everything[0]}")[0] is None  # the first has no previous
    assert _links(client, f"/inbox/conversations/{everything[5]}")[1] is None  # the last has no next

    previous, following = _links(client, f"/inbox/conversations/{chats[1]}?channel=chat")
    assert previous == f"/inbox/conversations/{chats[0]}?channel=chat"
    assert following == f"/inbox/conversations/{chats[2]}?channel=chat"
    listed = client.get("/inbox", params={"channel": "chat"}).text
    assert f'href="/inbox/conversations/{chats[0]}?channel=chat"' in listed  # the list hands its filters on
    emails_only = _links(client, f"/inbox/conversations/{chats[1]}?channel=email")
    assert emails_only == (None, None)  # not in that list: no walking
