"""The Overview shows the processing backlog (events waiting, the oldest one's wait, marked past a minute) to
roles that may read tracking, and only the reader's own workspace's."""

from __future__ import annotations

from datetime import date
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.helpers import sign_in
from tests.tracking.conftest import KeyedSource, make_source
from tests.tracking.test_backlog import age, batch, jobs_by_age
from tests.tracking.test_processing import send


def signed_in(client: TestClient, world: World, role: Role) -> TestClient:
    member = world.members[role]
    sign_in(client, member.email, member.password)
    return client


def card(client: TestClient) -> str | None:
    """The backlog card of the Overview the signed-in member sees, or None when the page has none."""
    page = client.get("/")
    assert page.status_code == 200
    html = unescape(page.text)
    if 'id="overview-processing"' not in html:
        return None
    return html.split('id="overview-processing"')[1].split("</section>")[0]


def test_overview_shows_events_waiting_and_marks_a_late_backlog(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, other_world: World, db: Session
) -> None:
    theirs = make_source(db, other_world, "their-site")
    db.close()
    send(client, theirs, *batch(9))
    send(client, source, *batch(3))
    shown = card(signed_in(client, world, Role.ANALYST))
    assert shown is not None and "Processing backlog" in shown
    assert 'data-backlog="events">3</a>' in shown  # not the other workspace's 9
    assert 'data-behind="false"' in shown and "behind</span>" not in shown
    assert "Oldest waiting for" in shown
    mine = jobs_by_age(runtime)[-1]  # sent last
    age(runtime, mine, 150)
    shown = card(client)
    assert shown is not None and 'data-behind="true"' in shown
    assert '<span class="badge danger"' in shown and "behind</span>" in shown
    assert "Oldest waiting for 2 min" in shown or "Oldest waiting for 3 min" in shown


def test_overview_says_when_nothing_waits(client: TestClient, world: World) -> None:
    shown = card(signed_in(client, world, Role.OWNER))
    assert shown is not None and 'data-backlog="events">0</a>' in shown
    assert "Every stored event is processed." in shown


def test_roles_that_may_not_read_tracking_see_no_backlog(
    client: TestClient, source: KeyedSource, world: World
) -> None:
    send(client, source, *batch(2))
    assert card(signed_in(client, world, Role.AGENT)) is None
    today = {"date_from": date.today().isoformat(), "date_to": date.today().isoformat()}
    agent = client.get("/api/v1/overview", params=today, headers=world.token(Role.AGENT)).json()
    assert agent["processing"] is None
    data = client.get("/api/v1/overview", params=today, headers=world.token(Role.MARKETER)).json()
    assert data["processing"]["events"] == 2 and "processing" in data["sections"]
