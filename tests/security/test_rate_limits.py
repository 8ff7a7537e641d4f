"""Rate limits per address and per key on the public surfaces (`/v1/*`, `/chat/*`, `/signin`): past the limit
the answer is 429 with `Retry-After` and `{"code": "rate_limited", "message": ...}`, and other callers go on."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy.orm import Session

from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import InboxCreate
from omnicx.kernel.access.permissions import Role
from tests.conftest import SECRET_KEY, World
from tests.helpers import page_csrf
from tests.security.conftest import AppFactory, Connect
from tests.tracking.conftest import KeyedSource, make_source

EVENT = {"type": "track", "event": "Viewed", "userId": "u-1"}
HERE, THERE = "198.51.100.7", "203.0.113.80"


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    assert response.json()["message"]
    assert int(response.headers["retry-after"]) >= 1


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_collection_is_limited_per_address(
    make_app: AppFactory, connect: Connect, source: KeyedSource
) -> None:
    app = make_app(rate_limit_v1_per_address="3/minute")
    here, there = connect(app, HERE), connect(app, THERE)
    answers = [here.post("/v1/track", json=EVENT, headers=source.basic) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert_limited(answers[3])
    assert answers[3].headers["access-control-allow-origin"] == "*"  # the site's script may read it
    assert "retry-after" in answers[3].headers["access-control-expose-headers"].lower()
    assert here.options("/v1/track").status_code == 204  # preflights are not counted
    assert there.post("/v1/track", json=EVENT, headers=source.basic).status_code == 200


def test_collection_is_limited_per_write_key_whoever_sends(
    make_app: AppFactory, connect: Connect, db: Session, world: World, source: KeyedSource
) -> None:
    second = make_source(db, world, "app")
    db.close()
    app = make_app(rate_limit_v1_per_key="2/minute")
    here, there = connect(app, HERE), connect(app, THERE)
    assert here.post("/v1/track", json=EVENT, headers=source.basic).status_code == 200
    body_key = {**EVENT, "writeKey": source.write_key}  # the key in the body counts as the same key
    assert there.post("/v1/track", json=body_key).status_code == 200
    limited = here.post("/v1/track", json=EVENT, headers=source.basic)
    assert_limited(limited)
    assert limited.headers["access-control-allow-origin"] == "*"
    assert there.post("/v1/track", json=EVENT, headers=basic(second.write_key)).status_code == 200


def test_unknown_write_keys_count_against_the_address_only(
    make_app: AppFactory, connect: Connect, source: KeyedSource
) -> None:
    app = make_app(rate_limit_v1_per_key="1/minute")
    here = connect(app, HERE)
    assert [
        here.post("/v1/track", json=EVENT, headers=basic(f"omxw_guess{i}")).status_code for i in range(3)
    ] == [401] * 3
    assert here.post("/v1/track", json=EVENT, headers=source.basic).status_code == 200


def test_chat_is_limited_per_address_and_per_widget(
    make_app: AppFactory, connect: Connect, db: Session, world: World
) -> None:
    owner = world.members[Role.OWNER].principal
    chat = MessagingChannel.CHAT
    one = inbox_service.create_inbox(
        db, principal=owner, data=InboxCreate(channel=chat, name="A"), secret_key=SECRET_KEY
    )
    two = inbox_service.create_inbox(
        db, principal=owner, data=InboxCreate(channel=chat, name="B"), secret_key=SECRET_KEY
    )
    db.close()
    by_address = make_app(rate_limit_chat_per_address="2/minute")
    here, there = connect(by_address, HERE), connect(by_address, THERE)
    assert [here.get(f"/chat/{one.address}/status").status_code for _ in range(2)] == [200, 200]
    limited = here.post(f"/chat/{two.address}/session", content="{}")
    assert_limited(limited)
    assert limited.headers["access-control-allow-origin"] == "*"
    assert here.options(f"/chat/{one.address}/session").status_code == 204
    assert there.post(f"/chat/{two.address}/session", content="{}").status_code == 200
    by_widget = make_app(rate_limit_chat_per_key="2/minute")
    here, there = connect(by_widget, HERE), connect(by_widget, THERE)
    assert here.post(f"/chat/{one.address}/session", content="{}").status_code == 200
    assert there.post(f"/chat/{one.address}/session", content="{}").status_code == 200
    assert_limited(here.post(f"/chat/{one.address}/session", content="{}"))
    assert there.post(f"/chat/{two.address}/session", content="{}").status_code == 200


def test_sign_in_attempts_are_slowed_per_address(
    make_app: AppFactory, connect: Connect, world: World
) -> None:
    member = world.members[Role.VIEWER]
    app = make_app(rate_limit_signin_per_address="3/minute")
    here, there = connect(app, HERE), connect(app, THERE)
    token = page_csrf(here)
    form = {"email": member.email, "password": "wrong", "csrf_token": token}
    assert [here.post("/signin", data=form).status_code for _ in range(3)] == [401, 401, 401]
    page = here.post("/signin", data={**form, "password": member.password})
    assert page.status_code == 429
    assert int(page.headers["retry-after"]) >= 1
    assert "text/html" in page.headers["content-type"]  # a person sees a page
    assert_limited(here.post("/signin", data=form, headers={"Accept": "application/json"}))
    assert here.get("/signin").status_code == 200  # reading the form is not an attempt
    token = page_csrf(there)
    signed = there.post(
        "/signin",
        data={"email": member.email, "password": member.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303


@pytest.mark.parametrize("setting", ["rate_limit_v1_per_address", "rate_limit_v1_per_key"])
def test_a_limit_can_be_turned_off(
    setting: str, make_app: AppFactory, connect: Connect, source: KeyedSource
) -> None:
    limited = connect(make_app(**{setting: "1/minute"}), HERE)
    assert limited.post("/v1/track", json=EVENT, headers=source.basic).status_code == 200
    assert_limited(limited.post("/v1/track", json=EVENT, headers=source.basic))
    unlimited = connect(make_app(**{setting: "off"}), HERE)
    statuses = [unlimited.post("/v1/track", json=EVENT, headers=source.basic).status_code for _ in range(3)]
    assert statuses == [200] * 3


def test_all_limits_can_be_turned_off_at_once(
    make_app: AppFactory, connect: Connect, source: KeyedSource
) -> None:
    client = connect(make_app(rate_limits_enabled=False, rate_limit_v1_per_address="1/minute"), HERE)
    assert [client.post("/v1/track", json=EVENT, headers=source.basic).status_code for _ in range(3)] == [
        200
    ] * 3


def test_answers_under_the_limit_are_untouched(
    make_app: AppFactory, connect: Connect, source: KeyedSource
) -> None:
    client = connect(make_app(), HERE)
    answer = client.post("/v1/track", json=EVENT, headers=source.basic)
    assert (answer.status_code, answer.json()) == (200, {"success": True})
    assert "retry-after" not in answer.headers
