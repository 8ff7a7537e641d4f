"""Web push against a real HTTP push service (`channels/webpush/simulator.py`) and real browsers' keys: a site's
page subscribes a browser with a source's write key, and an agent's reply, an order ready for pickup or a test
reaches it as a push the push service accepts (VAPID signed by the workspace's key) and the browser decrypts
(aes128gcm with its own private key and auth secret). A push service's 410 forgets the browser, its 500s are
retried and the browser notified once, any other refusal fails at once; bad bodies and write keys are refused
with `{"code", "message"}`; no workspace reaches another's browsers; only inbox managers see the surfaces."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate
from omnicx.channels.models import PushSubscription, VapidKey
from omnicx.channels.webpush import service as webpush_service
from omnicx.channels.webpush import vapid
from omnicx.channels.webpush.schemas import SendTestPush
from omnicx.channels.webpush.simulator import PushServiceSimulator
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import Fulfilment, OrderStatus, SalesChannel
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox.schemas import InboxPublic, ReplyCreate, ReplyPosted
from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import SourceCreate
from tests.channels.test_chat import say, visitor_session
from tests.commerce.conftest import make_shop
from tests.conftest import SECRET_KEY, World
from tests.helpers import ThreadServer, session_csrf, sign_in
from tests.inbox.conftest import chat_inbox, drain, drain_until

__all__ = ["chat_inbox"]  # the inbox fixture used here

SITE_PAGE = "https://shop.example.com/account"
PushService = tuple[PushServiceSimulator, str]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The local push service is on loopback: listed, as an operator lists theirs."""
    return settings.model_copy(update={"webpush_push_services": "127.0.0.1", "webpush_subject": None})


@pytest.fixture
def push_service() -> Iterator[PushService]:
    sim = PushServiceSimulator()
    with ThreadServer(sim.app()) as server:
        yield sim, server.url


def new_write_key(db: Session, world: World, name: str = "Shop") -> str:
    created = tracking_service.create_source(
        db, workspace_id=world.workspace.id, data=SourceCreate(name=name)
    )
    db.rollback()
    return created.write_key


@pytest.fixture
def write_key(db: Session, world: World) -> str:
    return new_write_key(db, world)


def public_key(client: TestClient, key: str) -> str:
    response = client.get("/channels/webpush/key", params={"writeKey": key})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    return str(response.json()["publicKey"])


def subscribe(
    client: TestClient, key: str, push: PushService, anonymous_id: str, **extra: Any
) -> dict[str, Any]:
    """A browser subscribes with the workspace's key at the push service, and the page posts it to omnicx."""
    sim, url = push
    subscription = sim.subscribe(url, public_key(client, key))
    body = {
        "writeKey": key,
        "anonymousId": anonymous_id,
        "subscription": subscription,
        "url": SITE_PAGE,
        **extra,
    }
    response = post(client, "/channels/webpush/subscriptions", body)
    assert response.status_code == 201, response.text
    return subscription


def post(client: TestClient, path: str, body: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, content=raw, headers={"Content-Type": "text/plain"})


def detached(db: Session, found: list[Any]) -> list[Any]:
    """Rows as read, kept out of the session: reading them later opens no transaction (on SQLite one would hold
    the database's write turn against the app's requests)."""
    db.expunge_all()
    db.rollback()
    return found


def rows(db: Session) -> list[PushSubscription]:
    return detached(
        db,
        list(db.scalars(select(PushSubscription).order_by(PushSubscription.created_at, PushSubscription.id))),
    )


def send_jobs(db: Session) -> list[Job]:
    return detached(db, list(db.scalars(select(Job).where(Job.kind == webpush_service.SEND_JOB))))


def customer_of(db: Session, world: World, anonymous_id: str) -> uuid.UUID:
    found = identity_service.customer_for(
        db,
        workspace_id=world.workspace.id,
        identifier=Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=anonymous_id),
    )
    db.rollback()
    assert found is not None
    return found


def queue_test_push(db: Session, world: World, **target: uuid.UUID) -> int:
    """Queue a test push as an owner would (for `customer_id` or `subscription_id`)."""
    principal = world.members[Role.OWNER].principal
    return webpush_service.send_test(db, principal=principal, data=SendTestPush(**target)).queued


# -- the key --------------------------------------------------------------------------------------------------------


def test_the_vapid_key_is_made_once_sealed_and_given_to_sites_and_staff(
    client: TestClient, db: Session, world: World, write_key: str
) -> None:
    key = public_key(client, write_key)
    assert public_key(client, write_key) == key and len(key) == 87  # a P-256 point, base64url
    [row] = detached(db, list(db.scalars(select(VapidKey))))
    assert "PRIVATE KEY" not in row.private_key and row.subject == "mailto:no-reply@localhost"
    signer = vapid.signer(SECRET_KEY, row.private_key)
    assert signer is not None and vapid.application_server_key(signer) == key
    assert vapid.signer("another server secret", row.private_key) is None
    api = client.get("/api/v1/webpush", headers=world.token(Role.ADMIN))
    assert api.status_code == 200 and api.json()["public_key"] == key


def test_staff_set_the_subject_and_replace_the_key_which_forgets_the_browsers(
    client: TestClient, db: Session, world: World, write_key: str, push_service: PushService
) -> None:
    headers = world.token(Role.OWNER)
    subscribe(client, write_key, push_service, "anon-1")
    old = public_key(client, write_key)
    changed = client.patch(
        "/api/v1/webpush", headers=headers, json={"subject": "mailto:ops@acme.example.com"}
    )
    assert changed.status_code == 200 and changed.json()["subject"] == "mailto:ops@acme.example.com"
    for bad in ("ops@acme.example.com", "mailto:nobody", "http://acme.example.com"):
        refused = client.patch("/api/v1/webpush", headers=headers, json={"subject": bad})
        assert refused.status_code == 422 and {"code", "message"} <= set(refused.json())
    rotated = client.post("/api/v1/webpush/rotate", headers=headers)
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()
    assert fresh["public_key"] not in (old, "") and fresh["subject"] == "mailto:ops@acme.example.com"
    assert (
        fresh["subscriptions"] == 0
        and rows(db) == []
        and public_key(client, write_key) == fresh["public_key"]
    )
    audit = client.get("/api/v1/audit", headers=headers).json()
    assert {"webpush.subject_changed", "webpush.key_rotated"} <= {e["action"] for e in audit["items"]}


# -- notifications --------------------------------------------------------------------------------------------------


def test_an_agent_reply_reaches_the_visitors_browser_once_and_a_note_never(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    chat_inbox: InboxPublic,
    write_key: str,
    push_service: PushService,
) -> None:
    sim, _ = push_service
    visitor = visitor_session(client, chat_inbox.address, anonymous_id="anon-chat")
    said = say(
        client,
        chat_inbox.address,
        visitor,
        "Is the blue lamp back?",
        client_id="c1",
        anonymous_id="anon-chat",
    )
    conversation_id = uuid.UUID(said.json()["conversation_id"])
    browser = subscribe(client, write_key, push_service, "anon-chat")
    agent = world.members[Role.AGENT].principal
    replied = inbox_service.reply(
        db, principal=agent, conversation_id=conversation_id, data=ReplyCreate(text="Tomorrow!")
    )
    inbox_service.reply(
        db, principal=agent, conversation_id=conversation_id, data=ReplyCreate(text="VIP", private=True)
    )
    drain_until(runtime, lambda: len(sim.delivered) >= 1)
    assert sim.received(browser) == [
        {
            "title": "You have a reply",
            "body": "Acme answered your message.",
            "url": SITE_PAGE,
            "tag": f"omnicx-conversation-{conversation_id}",
        }
    ]
    [delivered] = sim.delivered
    assert delivered.ttl == 24 * 3600 and delivered.claims["sub"] == "mailto:no-reply@localhost"
    assert "Tomorrow" not in json.dumps(
        sim.delivered[0].payload
    )  # the reply's text stays in the conversation
    # The reply's listener run again (a replayed transaction) queues nothing more.
    again = ReplyPosted(
        workspace_id=world.workspace.id,
        conversation_id=conversation_id,
        message_id=replied.id,
        customer_id=customer_of(db, world, "anon-chat"),
        channel=chat_inbox.channel,
    )
    webpush_service.notify_reply(db, again)
    db.commit()
    drain(runtime)
    assert len(send_jobs(db)) == 1 and len(sim.delivered) == 1
    [row] = rows(db)
    assert row.last_sent_at is not None and row.failed_at is None


def test_an_order_ready_for_pickup_reaches_the_customers_browser_without_its_code(
    client: TestClient, db: Session, runtime: Runtime, world: World, write_key: str, push_service: PushService
) -> None:
    sim, _ = push_service
    browser = subscribe(client, write_key, push_service, "anon-buyer")
    shop = make_shop(db, world.workspace.id)
    order = commerce_service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)],
            channel=SalesChannel.WEB,
            fulfilment=Fulfilment.PICKUP,
            location_id=shop.store.id,
            customer=CustomerRef(anonymous_id="anon-buyer", email="ada@example.com"),
        ),
        actor="test",
    )
    for status in (OrderStatus.PAID, OrderStatus.ALLOCATED, OrderStatus.READY_FOR_PICKUP):
        commerce_service.change_status(
            db, workspace_id=shop.workspace_id, order_id=order.id, status=status, actor="staff@acme"
        )
    code = commerce_service.pickup_code(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    drain_until(runtime, lambda: len(sim.delivered) >= 1)
    [payload] = sim.received(browser)
    assert payload == {
        "title": "Your order is ready for pickup",
        "body": "It is waiting for you at Paris store.",
        "url": SITE_PAGE,
        "tag": f"omnicx-order-{order.id}",
    }
    assert code not in json.dumps(payload)


def test_notifications_are_written_in_the_workspaces_language(
    client: TestClient, db: Session, runtime: Runtime, push_service: PushService
) -> None:
    sim, _ = push_service
    french = auth_service.create_workspace(
        db, data=WorkspaceCreate(slug="lumiere", name="Lumière", default_language="fr")
    )
    created = tracking_service.create_source(db, workspace_id=french.id, data=SourceCreate(name="Boutique"))
    db.rollback()
    browser = subscribe(client, created.write_key, push_service, "anon-fr")
    customer = identity_service.customer_for(
        db, workspace_id=french.id, identifier=Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-fr")
    )
    assert customer is not None
    webpush_service.notify_order_ready(
        db, workspace_id=french.id, order_id=uuid.uuid4(), customer_id=customer, location="Paris"
    )
    db.commit()
    drain_until(runtime, lambda: len(sim.delivered) >= 1)
    [payload] = sim.received(browser)
    assert payload["title"] == "Votre commande est prête à être retirée"
    assert "Paris" in payload["body"] and payload["body"] != "It is waiting for you at Paris."


# -- the push service's answers -----------------------------------------------------------------------------------


def test_a_browser_gone_from_its_push_service_is_forgotten(
    client: TestClient, db: Session, runtime: Runtime, world: World, write_key: str, push_service: PushService
) -> None:
    sim, _ = push_service
    browser = subscribe(client, write_key, push_service, "anon-gone")
    sim.gone.add(browser["endpoint"].rsplit("/", 1)[1])
    [row] = rows(db)
    assert queue_test_push(db, world, subscription_id=row.id) == 1
    drain(runtime)
    assert [status for _, status in sim.answers] == [410]
    assert rows(db) == [] and sim.delivered == []
    [job] = send_jobs(db)
    assert job.status is JobStatus.SUCCEEDED and job.attempts == 1


def test_a_failing_push_service_is_retried_and_the_browser_notified_once(
    client: TestClient, db: Session, runtime: Runtime, world: World, write_key: str, push_service: PushService
) -> None:
    sim, _ = push_service
    browser = subscribe(client, write_key, push_service, "anon-retry")
    sim.failures = 2
    assert queue_test_push(db, world, customer_id=customer_of(db, world, "anon-retry")) == 1
    drain_until(runtime, lambda: len(sim.delivered) >= 1)
    drain(runtime)
    assert [status for _, status in sim.answers] == [500, 500, 201]
    assert [p["title"] for p in sim.received(browser)] == ["Test notification"]
    [job] = send_jobs(db)
    assert job.status is JobStatus.SUCCEEDED and job.attempts == 3
    [row] = rows(db)
    assert row.last_sent_at is not None and row.failed_at is None


def test_a_push_service_refusal_fails_at_once(
    client: TestClient, db: Session, runtime: Runtime, world: World, write_key: str, push_service: PushService
) -> None:
    """A browser subscribed with another key: the push service refuses omnicx's signature (403), for good."""
    sim, url = push_service
    public_key(client, write_key)  # the workspace has its key; the browser was subscribed with another
    foreign = sim.subscribe(url, vapid.new_key(SECRET_KEY).public_key)
    body = {"writeKey": write_key, "anonymousId": "anon-foreign", "subscription": foreign}
    assert post(client, "/channels/webpush/subscriptions", body).status_code == 201
    [row] = rows(db)
    queue_test_push(db, world, subscription_id=row.id)
    drain(runtime)
    assert [status for _, status in sim.answers] == [403]
    [job] = send_jobs(db)
    assert job.status is JobStatus.SUCCEEDED and job.attempts == 1
    [row] = rows(db)
    assert row.failed_at is not None and "403" in (row.last_error or "")
    assert foreign["endpoint"].rsplit("/", 1)[1] not in (row.last_error or "")  # the endpoint is kept secret


# -- what a site sends ----------------------------------------------------------------------------------------------


def _subscription(push: PushService) -> dict[str, Any]:
    sim, url = push
    return sim.subscribe(url, vapid.new_key(SECRET_KEY).public_key)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"anonymousId": None}, "invalid"),
        ({"anonymousId": "a" * 201}, "invalid"),
        ({"anonymousId": "bad\x00id"}, "invalid"),
        ({"subscription": {"endpoint": "ftp://127.0.0.1/push/x"}}, "invalid"),
        ({"subscription": {"keys": {"p256dh": "A" * 87}}}, "invalid"),
        ({"subscription": {"keys": {"auth": "c2hvcnQ"}}}, "invalid"),
        ({"subscription": None}, "invalid"),
        ({"url": "javascript:alert(1)"}, "invalid"),
        ({"url": "//elsewhere.example/page"}, "invalid"),
        ({"subscription": {"endpoint": "https://push.attacker.example/push/x"}}, "webpush_endpoint_refused"),
        ({"subscription": {"endpoint": "https://127.0.0.1.attacker.example/x"}}, "webpush_endpoint_refused"),
        ({"subscription": {"endpoint": "http://10.0.0.1/admin"}}, "webpush_endpoint_refused"),
    ],
)
def test_a_body_that_is_not_a_subscription_is_refused_with_a_structured_error(
    client: TestClient,
    db: Session,
    write_key: str,
    push_service: PushService,
    change: dict[str, Any],
    code: str,
) -> None:
    body = {"writeKey": write_key, "anonymousId": "anon-1", "subscription": _subscription(push_service)}
    if isinstance(change, str):
        body = change
    else:
        for name, value in change.items():
            if isinstance(value, dict) and isinstance(body[name], dict):
                for inner, inner_value in value.items():
                    merged = (
                        {**body[name][inner], **inner_value} if isinstance(inner_value, dict) else inner_value
                    )
                    body[name] = {**body[name], inner: merged}
            else:
                body[name] = value
    response = post(client, "/channels/webpush/subscriptions", body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code and response.json()["message"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert rows(db) == []


def test_a_missing_unknown_or_revoked_write_key_is_refused(
    client: TestClient, db: Session, world: World, write_key: str, push_service: PushService
) -> None:
    revoked = new_write_key(db, world, "Old site")
    source = tracking_service.find_source(db, workspace_id=world.workspace.id, name="Old site")
    assert source is not None
    tracking_service.revoke_source(db, workspace_id=world.workspace.id, source_id=source.id)
    subscription = _subscription(push_service)
    for key in (None, "wk_unknown", revoked):
        body = {"writeKey": key, "anonymousId": "anon-1", "subscription": subscription}
        for path, sent in (
            ("/channels/webpush/subscriptions", body),
            ("/channels/webpush/subscriptions", {"writeKey": key}),  # refused before the body is validated
            ("/channels/webpush/unsubscribe", {"writeKey": key, "endpoint": subscription["endpoint"]}),
        ):
            response = post(client, path, sent)
            assert response.status_code == 401, (path, key, response.text)
            assert response.json()["code"] == "invalid_write_key"
            assert response.headers["access-control-allow-origin"] == "*"
        response = client.get("/channels/webpush/key", params={"writeKey": key} if key else {})
        assert response.status_code == 401 and response.json()["code"] == "invalid_write_key"
    not_json = post(client, "/channels/webpush/subscriptions", "not json")  # no body, no key in it
    assert not_json.status_code == 401 and not_json.json()["code"] == "invalid_write_key"
    assert rows(db) == []


def test_resubscribing_updates_the_browser_and_unsubscribing_forgets_it(
    client: TestClient, db: Session, world: World, write_key: str, push_service: PushService
) -> None:
    browser = subscribe(client, write_key, push_service, "anon-1")
    fresh = {**browser, "keys": _subscription(push_service)["keys"]}
    body = {"writeKey": write_key, "anonymousId": "anon-2", "subscription": fresh}
    assert post(client, "/channels/webpush/subscriptions", body).status_code == 201
    [row] = rows(db)
    assert row.anonymous_id == "anon-2" and row.customer_id == customer_of(db, world, "anon-2")
    assert browser["endpoint"] not in row.sealed and fresh["keys"]["auth"] not in row.sealed
    assert row.endpoint_host == "127.0.0.1" and row.open_url == "/"
    gone = post(
        client, "/channels/webpush/unsubscribe", {"writeKey": write_key, "endpoint": browser["endpoint"]}
    )
    assert gone.status_code == 204 and rows(db) == []


def test_a_claimed_user_id_never_links_a_browser_to_an_identified_customer(
    client: TestClient, db: Session, world: World, write_key: str, push_service: PushService
) -> None:
    known = identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=[
            Identifier(kind=IdentifierKind.USER_ID, value="u-42"),
            Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-known"),
        ],
    )
    db.commit()
    assert known is not None
    subscribe(client, write_key, push_service, "anon-known")  # a device someone identified holds
    subscribe(client, write_key, push_service, "anon-other", userId="u-42")  # a claim to be them
    on_known, on_other = rows(db)
    assert on_known.customer_id is None
    assert on_other.customer_id not in (None, known) and on_other.claimed_user_id == "u-42"
    assert queue_test_push(db, world, customer_id=known) == 0


def test_a_suppressed_visitor_is_answered_alike_and_nothing_is_kept(
    client: TestClient, db: Session, world: World, write_key: str, push_service: PushService
) -> None:
    identity_service.suppress(
        db,
        principal=world.members[Role.OWNER].principal,
        identifier=Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-forget-me"),
    )
    subscribe(client, write_key, push_service, "anon-forget-me")
    assert rows(db) == []


def test_an_erasure_forgets_the_customers_browsers(
    client: TestClient, db: Session, runtime: Runtime, world: World, write_key: str, push_service: PushService
) -> None:
    subscribe(client, write_key, push_service, "anon-erase")
    subscribe(client, write_key, push_service, "anon-keep")
    customer = customer_of(db, world, "anon-erase")
    export = identity_service.export_customer(
        db, principal=world.members[Role.OWNER].principal, customer_id=customer
    )
    [exported] = export.sections["channels"]
    assert exported["anonymous_id"] == "anon-erase" and "sealed" not in exported
    identity_service.request_erasure(db, principal=world.members[Role.OWNER].principal, customer_id=customer)
    db.rollback()
    drain(runtime)
    assert [row.anonymous_id for row in rows(db)] == ["anon-keep"]


# -- workspaces and roles ---------------------------------------------------------------------------------------


def test_a_workspace_never_reaches_another_workspaces_browsers(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    other_world: World,
    write_key: str,
    push_service: PushService,
) -> None:
    sim, _ = push_service
    ours = subscribe(client, write_key, push_service, "anon-same")
    theirs = subscribe(client, new_write_key(db, other_world, "Globex site"), push_service, "anon-same")
    assert public_key(client, write_key) != public_key(client, new_write_key(db, other_world, "Globex 2"))
    our_row = next(r for r in rows(db) if r.workspace_id == world.workspace.id)
    their_customer = customer_of(db, other_world, "anon-same")
    assert queue_test_push(db, other_world, customer_id=their_customer) == 1
    with pytest.raises(Exception, match="not found"):
        queue_test_push(db, other_world, subscription_id=our_row.id)
    db.rollback()
    drain_until(runtime, lambda: len(sim.delivered) >= 1)
    assert sim.received(ours) == [] and len(sim.received(theirs)) == 1
    globex = other_world.token(Role.OWNER)
    listed = client.get("/api/v1/webpush/subscriptions", headers=globex).json()
    assert [item["id"] for item in listed["items"]] != [str(our_row.id)] and listed["total"] == 1
    for response in (
        client.delete(f"/api/v1/webpush/subscriptions/{our_row.id}", headers=globex),
        client.post("/api/v1/webpush/test", headers=globex, json={"subscription_id": str(our_row.id)}),
        client.get(f"/api/v1/webpush/subscriptions?customer_id={our_row.customer_id}", headers=globex),
    ):
        assert response.status_code == 404 and set(response.json()) == {"code", "message"}
    assert len(rows(db)) == 2


@pytest.mark.parametrize("role", list(Role))
def test_only_inbox_managers_reach_the_api_and_the_page(
    role: Role, app: Any, client: TestClient, world: World
) -> None:
    allowed = allows(role, Action.INBOX_MANAGE)
    api = client.get("/api/v1/webpush", headers=world.token(role))
    assert api.status_code == (200 if allowed else 403), api.text
    member = world.members[role]
    sign_in(client, member.email, member.password)
    page = client.get("/settings/webpush")
    assert page.status_code == (200 if allowed else 403)
    assert ('href="/settings/webpush"' in client.get("/settings/profile").text) is allowed


def test_the_settings_page_shows_the_snippet_and_sends_a_test_with_csrf(
    app: Any,
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    write_key: str,
    push_service: PushService,
) -> None:
    sim, _ = push_service
    browser = subscribe(client, write_key, push_service, "anon-page")
    [row] = rows(db)
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    page = client.get("/settings/webpush")
    assert public_key(client, write_key) in page.text and "omnicx-sw.js" in page.text
    assert f'id="subscription-{row.id}"' in page.text
    form = {"subscription_id": str(row.id)}
    assert client.post("/settings/webpush/test", data=form, follow_redirects=False).status_code == 403
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    sent = client.post("/settings/webpush/test", data=form, headers=headers, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/settings/webpush?queued=1"
    bad = client.post("/settings/webpush/test", data={"customer_id": "nope"}, headers=headers)
    assert bad.status_code == 422
    drain_until(runtime, lambda: len(sim.delivered) >= 1)
    assert [p["tag"] for p in sim.received(browser)] == ["omnicx-test"]


def test_the_cli_shows_the_key_and_queues_a_test(
    client: TestClient,
    db: Session,
    world: World,
    write_key: str,
    push_service: PushService,
    cli_env: dict[str, str],
) -> None:
    key = public_key(client, write_key)
    subscribe(client, write_key, push_service, "anon-cli")
    runner = CliRunner()
    status = runner.invoke(cli_app, ["webpush", "status", "-w", "acme"], env=cli_env)
    assert status.exit_code == 0 and key in status.output and "Subscribed browsers: 1" in status.output
    customer = customer_of(db, world, "anon-cli")
    sent = runner.invoke(cli_app, ["webpush", "test", "-w", "acme", "--customer", str(customer)], env=cli_env)
    assert sent.exit_code == 0 and "queued for 1 browsers" in sent.output
    bad = runner.invoke(cli_app, ["webpush", "subject", "-w", "acme", "not a contact"], env=cli_env)
    assert bad.exit_code != 0


def test_the_scripts_a_site_loads_are_served_to_any_origin(client: TestClient) -> None:
    for name, needle in (("omnicx-push.js", "applicationServerKey"), ("omnicx-sw.js", "showNotification")):
        response = client.get(f"/channels/webpush/{name}")
        assert response.status_code == 200 and needle in response.text
        assert response.headers["access-control-allow-origin"] == "*"
