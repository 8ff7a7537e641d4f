"""Attachments on the provider channels, against each provider's real HTTP stand-in: a signed webhook naming a
customer's photo is answered at once with the message stored and the photo pending (nothing downloaded in the
request); the `inbox.fetch_attachments` job then fetches it the way the provider serves media (Twilio's media URL
with Basic auth, WhatsApp's media id then URL with the bearer token, Meta's CDN URL, Telegram's `getFile` then
file URL), stores it, and the agents of the workspace download it from the inbox (nobody else does). Outages are
retried and store once, refusals mark the attachment failed at once, replays fetch nothing twice, a WhatsApp
checksum that does not match is refused, and no error kept anywhere repeats a Telegram bot token."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from omnicx.app.web import create_app
from omnicx.app.wiring import wire
from omnicx.channels import tasks as channels_tasks
from omnicx.channels.media import MediaLimits, MediaRefused, download
from omnicx.channels.meta.simulator import MetaSimulator, message_event, notification
from omnicx.channels.sms.simulator import TwilioSimulator, media_fields
from omnicx.channels.telegram.adapter import inbound as telegram_inbound
from omnicx.channels.telegram.simulator import TelegramSimulator, update
from omnicx.channels.whatsapp.simulator import WhatsAppSimulator, message_notification
from omnicx.inbox import service
from omnicx.inbox.enums import InboxTopic, MessagingChannel
from omnicx.inbox.models import Message
from omnicx.inbox.schemas import Attachment, InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.registry import JobContext
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from tests.channels import test_meta as meta_tests
from tests.channels import test_sms as sms_tests
from tests.channels import test_telegram as telegram_tests
from tests.channels import test_whatsapp as whatsapp_tests
from tests.conftest import SECRET_KEY, World
from tests.helpers import ThreadServer, sign_in
from tests.inbox.conftest import drain, drain_until

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64 + b"\xff\xd9"  # a JPEG's markers around 16 KB
SECOND = b"\xff\xd8\xff\xe1 another photo \xff\xd9"


class Provider:
    """One provider as these tests drive it: its stand-in over real HTTP, an inbox on it, and a customer sending
    a photo through its signed webhook. `filename` and `placeholder` are what the photo and its message show."""

    channel: MessagingChannel
    placeholder = "[image]"
    filename = ""

    def __init__(self, url: str, inbox: InboxPublic) -> None:
        self.url = url
        self.inbox = inbox
        self._post: Callable[[], Any] = lambda: None

    def send(self, client: TestClient, data: bytes = PHOTO, *, key: str = "1") -> None:
        """Post a signed webhook naming a photo `data` the provider holds for the customer (`key` tells
        messages apart)."""
        self._post = self._prepare(client, data, key)
        response = self._post()
        assert response.status_code == 200, response.text

    def replay(self) -> None:
        """The provider delivers the last webhook again."""
        assert self._post().status_code == 200

    def _prepare(self, client: TestClient, data: bytes, key: str) -> Callable[[], Any]:
        raise NotImplementedError

    def served(self) -> int:
        """How many files the stand-in handed out."""
        raise NotImplementedError

    def outage(self, on: bool) -> None:
        raise NotImplementedError

    def forget(self) -> None:
        """The provider no longer has the last photo: asking for it answers 404."""
        raise NotImplementedError


class Twilio(Provider):
    channel = MessagingChannel.SMS

    def __init__(self, url: str, inbox: InboxPublic, sim: TwilioSimulator, settings: Settings) -> None:
        super().__init__(url, inbox)
        self.sim, self.settings, self.path = sim, settings, ""

    def _prepare(self, client: TestClient, data: bytes, key: str) -> Callable[[], Any]:
        sid = f"MM{key:0>32}"
        self.path = self.sim.hold_media(sms_tests.ACCOUNT, sid, data, "image/jpeg")
        self.filename = self.path.rpartition("/")[2] + ".jpg"
        params = {
            **sms_tests.incoming(sid=sid, body=""),
            **media_fields((self.url + self.path, "image/jpeg")),
        }
        path = self.inbox.callbacks["messages"]
        return lambda: sms_tests.post_signed(client, self.settings, path, params)

    def served(self) -> int:
        return self.sim.media_served

    def outage(self, on: bool) -> None:
        self.sim.outage = on

    def forget(self) -> None:
        del self.sim.media[self.path]


class WhatsApp(Provider):
    channel = MessagingChannel.WHATSAPP
    filename = "image.jpg"

    def __init__(self, url: str, inbox: InboxPublic, sim: WhatsAppSimulator) -> None:
        super().__init__(url, inbox)
        self.sim, self.media_id = sim, ""
        self.sha256: str | None = None  # a checksum the webhook gives instead of the file's

    def _prepare(self, client: TestClient, data: bytes, key: str) -> Callable[[], Any]:
        part = self.sim.hold_media(whatsapp_tests.PNID, data, "image/jpeg")
        self.media_id = part["id"]
        if self.sha256 is not None:
            part["sha256"] = self.sha256
        body = message_notification(
            whatsapp_tests.PNID, whatsapp_tests.DISPLAY, wa_id=whatsapp_tests.WA_ID, name="Camille",
            wamid=f"wamid.M{key}", text="", media=("image", part),
        )  # fmt: skip
        return lambda: whatsapp_tests.post(client, self.inbox, body)

    def served(self) -> int:
        return self.sim.media_served

    def outage(self, on: bool) -> None:
        self.sim.outage = on

    def forget(self) -> None:
        self.sim.gone.add(self.media_id)


class Meta(Provider):
    filename = "lamp.jpg"

    def __init__(self, url: str, inbox: InboxPublic, sim: MetaSimulator, kind: meta_tests.Kind) -> None:
        super().__init__(url, inbox)
        self.sim, self.kind, self.channel, self.path = sim, kind, kind.channel, ""

    def _prepare(self, client: TestClient, data: bytes, key: str) -> Callable[[], Any]:
        self.path = self.sim.hold(data, "image/jpeg", self.filename)
        event = message_event(
            self.kind.account_id, meta_tests.PSID, mid=f"m_M{key}", media=(("image", self.url + self.path),)
        )
        body = notification(self.kind.webhook_object, self.kind.account_id, event)
        return lambda: meta_tests.post(client, self.inbox, body)

    def served(self) -> int:
        return self.sim.media_served

    def outage(self, on: bool) -> None:
        self.sim.outage = on

    def forget(self) -> None:
        del self.sim.cdn[self.path]


class Telegram(Provider):
    channel = MessagingChannel.TELEGRAM
    placeholder = "[photo]"
    filename = "photo.jpg"

    def __init__(self, url: str, inbox: InboxPublic, sim: TelegramSimulator) -> None:
        super().__init__(url, inbox)
        self.sim, self.file_id = sim, ""

    def _prepare(self, client: TestClient, data: bytes, key: str) -> Callable[[], Any]:
        token = telegram_tests.TOKEN
        thumb = self.sim.hold_file(
            token, data[:64], file_path=f"photos/file_{key}_s.jpg", width=90, height=67
        )
        full = self.sim.hold_file(token, data, file_path=f"photos/file_{key}.jpg", width=800, height=600)
        self.file_id = full["file_id"]
        body = update(
            861000100 + int(key), user_id=telegram_tests.USER_ID, first_name="Camille", text="",
            media={"photo": [thumb, full]},
        )  # fmt: skip
        secret = self.sim.webhooks[token][1]
        return lambda: telegram_tests.post(client, self.inbox, body, secret=secret)

    def served(self) -> int:
        return self.sim.media_served

    def outage(self, on: bool) -> None:
        self.sim.outage = on

    def forget(self) -> None:
        self.sim.gone.add(self.file_id)


def _inbox(db: Session, world: World, channel: MessagingChannel, address: str, credentials: dict[str, str],
           base_url: str | None = None) -> InboxPublic:  # fmt: skip
    made = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(channel=channel, name=channel.value, address=address, credentials=credentials),
        secret_key=SECRET_KEY,
        base_url=base_url,
    )
    db.rollback()
    return made


def _twilio(db: Session, world: World, settings: Settings) -> Iterator[Twilio]:
    sim = TwilioSimulator(accounts={sms_tests.ACCOUNT: (sms_tests.TOKEN, {sms_tests.NUMBER})})
    with ThreadServer(sim.app()) as server:
        inbox = _inbox(db, world, MessagingChannel.SMS, sms_tests.NUMBER, sms_tests.credentials(server.url))
        yield Twilio(server.url, inbox, sim, settings)


def _whatsapp(db: Session, world: World, settings: Settings) -> Iterator[WhatsApp]:
    sim = WhatsAppSimulator(numbers={whatsapp_tests.PNID: (whatsapp_tests.TOKEN, whatsapp_tests.DISPLAY)})
    with ThreadServer(sim.app()) as server:
        credentials = whatsapp_tests.credentials(server.url)
        inbox = _inbox(db, world, MessagingChannel.WHATSAPP, whatsapp_tests.DISPLAY, credentials)
        yield WhatsApp(server.url, inbox, sim)


def _meta(kind: meta_tests.Kind) -> Callable[[Session, World, Settings], Iterator[Provider]]:
    def start(db: Session, world: World, settings: Settings) -> Iterator[Provider]:
        accounts = {
            meta_tests.PAGE: (meta_tests.TOKEN, {"name": "Lumen"}),
            meta_tests.IG_ID: (meta_tests.TOKEN, {"username": "lumen.store"}),
        }
        sim = MetaSimulator(accounts=accounts)
        with ThreadServer(sim.app()) as server:
            inbox = _inbox(db, world, kind.channel, kind.address, kind.credentials(server.url))
            yield Meta(server.url, inbox, sim, kind)

    return start


def _telegram(db: Session, world: World, settings: Settings) -> Iterator[Telegram]:
    sim = TelegramSimulator(bots={telegram_tests.TOKEN: telegram_tests.USERNAME})
    with ThreadServer(sim.app()) as server:
        credentials = {"bot_token": telegram_tests.TOKEN, "api_base": server.url}
        inbox = _inbox(db, world, MessagingChannel.TELEGRAM, "@lampshopbot", credentials, settings.base_url)
        yield Telegram(server.url, inbox, sim)


PROVIDERS = {
    "sms": _twilio,
    "whatsapp": _whatsapp,
    "messenger": _meta(meta_tests.MESSENGER),
    "instagram": _meta(meta_tests.INSTAGRAM),
    "telegram": _telegram,
}


@pytest.fixture(params=list(PROVIDERS))
def provider(
    request: pytest.FixtureRequest, db: Session, world: World, settings: Settings
) -> Iterator[Provider]:
    yield from PROVIDERS[request.param](db, world, settings)


@pytest.fixture
def twilio(db: Session, world: World, settings: Settings) -> Iterator[Twilio]:
    yield from _twilio(db, world, settings)


@pytest.fixture
def whatsapp(db: Session, world: World, settings: Settings) -> Iterator[WhatsApp]:
    yield from _whatsapp(db, world, settings)


@pytest.fixture
def telegram(db: Session, world: World, settings: Settings) -> Iterator[Telegram]:
    yield from _telegram(db, world, settings)


def stored(db: Session, inbox: InboxPublic) -> list[tuple[uuid.UUID, str, list[dict[str, Any]]]]:
    """The inbox's messages (id, text, attachments), read in a transaction ended at once (SQLite's write turn)."""
    db.rollback()
    rows = db.execute(
        select(Message.id, Message.text, Message.attachments)
        .where(Message.inbox_id == inbox.id)
        .order_by(Message.created_at)
    )
    found = [(row.id, row.text, list((row.attachments or {}).get("files", []))) for row in rows]
    db.rollback()
    return found


def fetch_jobs(db: Session) -> list[Any]:
    """The fetch jobs' status, attempts and last error (plain values: reading an ORM row after the rollback
    would begin another transaction)."""
    db.rollback()
    columns = (Job.status, Job.attempts, Job.last_error)
    found = list(db.execute(select(*columns).where(Job.kind == service.FETCH_ATTACHMENTS_JOB)))
    db.rollback()
    return found


def attempt(runtime: Runtime, db: Session) -> None:
    """Run due jobs until the fetch job has run once (a retry is due a few milliseconds later in the tests:
    draining the queue would run it again)."""
    wire()
    worker = Worker(runtime, "test-worker")
    while not fetch_jobs(db)[0].attempts:
        assert worker.run_once()


def only_attachment(db: Session, inbox: InboxPublic) -> dict[str, Any]:
    [(_, _, files)] = stored(db, inbox)
    assert len(files) == 1
    return files[0]


# -- at once, then fetched -----------------------------------------------------------------------------------------


def test_the_message_is_stored_at_once_and_the_photo_fetched_by_the_job_is_downloadable_in_the_workspace_only(
    client: TestClient, db: Session, runtime: Runtime, world: World, other_world: World, provider: Provider
) -> None:
    provider.send(client)
    [(message_id, text, files)] = stored(db, provider.inbox)
    assert text == provider.placeholder and provider.served() == 0  # nothing downloaded in the webhook
    assert [(f["filename"], f["status"]) for f in files] == [(provider.filename, "pending")]
    assert [job.status for job in fetch_jobs(db)] == [JobStatus.QUEUED]

    drain(runtime)
    attachment = only_attachment(db, provider.inbox)
    assert (attachment["status"], attachment["filename"]) == ("stored", provider.filename)
    assert (attachment["content_type"], attachment["size"]) == ("image/jpeg", len(PHOTO))
    assert "source" not in attachment and provider.served() == 1
    assert (runtime.settings.data_dir / "attachments" / attachment["path"]).read_bytes() == PHOTO

    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    download = client.get(f"/inbox/messages/{message_id}/attachments/0")
    assert download.status_code == 200 and download.content == PHOTO
    assert provider.filename in download.headers["content-disposition"]
    thread = client.get(f"/inbox/conversations/{_conversation(db, message_id)}/thread")
    assert 'data-attachment-status="stored"' in thread.text and provider.filename in thread.text
    outsider, browser = other_world.members[Role.AGENT], TestClient(client.app)
    sign_in(browser, outsider.email, outsider.password)
    assert browser.get(f"/inbox/messages/{message_id}/attachments/0").status_code == 404


def _conversation(db: Session, message_id: uuid.UUID) -> uuid.UUID:
    found = db.scalar(select(Message.conversation_id).where(Message.id == message_id))
    db.rollback()
    assert found is not None
    return found


def test_a_pending_photo_shows_on_the_thread_and_cannot_be_downloaded_yet(
    client: TestClient, db: Session, world: World, whatsapp: WhatsApp
) -> None:
    whatsapp.send(client)
    [(message_id, _, _)] = stored(db, whatsapp.inbox)
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    page = client.get(f"/inbox/conversations/{_conversation(db, message_id)}")
    assert f"sse:{InboxTopic.MESSAGE_ATTACHMENT.value}" in page.text  # the thread reloads when it arrives
    thread = client.get(f"/inbox/conversations/{_conversation(db, message_id)}/thread")
    assert 'data-attachment-status="pending"' in thread.text and "image.jpg" in thread.text
    assert client.get(f"/inbox/messages/{message_id}/attachments/0").status_code == 404


@pytest.mark.anyio
async def test_the_agents_screens_are_told_when_the_photo_arrives(
    client: TestClient, db: Session, runtime: Runtime, world: World, whatsapp: WhatsApp
) -> None:
    await asyncio.to_thread(whatsapp.send, client)
    [(message_id, _, _)] = stored(db, whatsapp.inbox)
    async with runtime.bus.subscribe(workspace_id=world.workspace.id) as subscription:
        await asyncio.to_thread(drain, runtime)

        async def arrival() -> RealtimeEvent:
            async for event in subscription:
                if event.topic == InboxTopic.MESSAGE_ATTACHMENT:
                    return event
            raise AssertionError("stream ended")

        event = await asyncio.wait_for(arrival(), timeout=5)
    assert event.data["message_id"] == str(message_id)
    assert event.data["conversation_id"] == str(_conversation(db, message_id))


# -- retries, refusals, replays -----------------------------------------------------------------------------------


def test_an_outage_is_retried_and_the_photo_stored_once(
    client: TestClient, db: Session, runtime: Runtime, provider: Provider
) -> None:
    provider.send(client)
    provider.outage(True)
    attempt(runtime, db)
    assert only_attachment(db, provider.inbox)["status"] == "pending"
    [job] = fetch_jobs(db)
    assert job.status is JobStatus.QUEUED and job.attempts == 1 and job.last_error
    provider.outage(False)
    drain_until(runtime, lambda: only_attachment(db, provider.inbox)["status"] == "stored")
    attachment = only_attachment(db, provider.inbox)
    assert attachment["status"] == "stored" and provider.served() == 1
    folder = (runtime.settings.data_dir / "attachments" / attachment["path"]).parent
    assert [p.read_bytes() for p in folder.iterdir()] == [PHOTO]
    assert [job.status for job in fetch_jobs(db)] == [JobStatus.SUCCEEDED]


def test_a_photo_the_provider_no_longer_has_is_marked_failed_without_retrying(
    client: TestClient, db: Session, runtime: Runtime, world: World, provider: Provider
) -> None:
    provider.send(client)
    provider.forget()
    drain(runtime)
    attachment = only_attachment(db, provider.inbox)
    assert attachment["status"] == "failed" and "404" in attachment["error"], attachment
    assert "source" not in attachment and provider.served() == 0
    [job] = fetch_jobs(db)
    assert job.status is JobStatus.SUCCEEDED and job.attempts == 1  # nothing left to retry
    [(message_id, _, _)] = stored(db, provider.inbox)
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    thread = client.get(f"/inbox/conversations/{_conversation(db, message_id)}/thread")
    assert 'data-attachment-status="failed"' in thread.text and "Not received" in thread.text


def test_a_replayed_webhook_stores_nothing_twice_and_fetches_once(
    client: TestClient, db: Session, runtime: Runtime, provider: Provider
) -> None:
    provider.send(client)
    provider.replay()
    drain(runtime)
    provider.replay()
    drain(runtime)
    assert len(stored(db, provider.inbox)) == 1 and len(fetch_jobs(db)) == 1
    assert only_attachment(db, provider.inbox)["status"] == "stored" and provider.served() == 1


def test_a_job_run_twice_stores_each_photo_once(
    client: TestClient, db: Session, runtime: Runtime, world: World, whatsapp: WhatsApp
) -> None:
    whatsapp.send(client, key="1")
    whatsapp.send(client, SECOND, key="2")
    [first, second] = stored(db, whatsapp.inbox)
    for _ in range(2):
        _run_fetch(runtime, world, first[0])
    assert whatsapp.served() == 1
    with runtime.sessions() as session:
        assert service.pending_attachments(session, message_id=first[0], secret_key=SECRET_KEY) is None
    _run_fetch(runtime, world, second[0])
    assert whatsapp.served() == 2
    assert [(f["status"], f["size"]) for _, _, [f] in stored(db, whatsapp.inbox)] == [
        ("stored", len(PHOTO)),
        ("stored", len(SECOND)),
    ]


def test_two_runs_that_both_saw_the_photo_pending_store_it_once(
    client: TestClient, db: Session, runtime: Runtime, whatsapp: WhatsApp
) -> None:
    """A worker whose lease expired and the one that took the job over both fetched: the first to record
    wins, the other writes nothing."""
    whatsapp.send(client)
    [(message_id, _, _)] = stored(db, whatsapp.inbox)
    recorded = []
    for data in (PHOTO, SECOND):
        with runtime.sessions() as session:
            recorded.append(
                service.record_attachment(
                    session, message_id=message_id, index=0, data_dir=runtime.settings.data_dir,
                    attachment=Attachment(filename="image.jpg", content_type="image/jpeg", data=data),
                )
            )  # fmt: skip
            session.commit()
    assert recorded == [True, False]
    attachment = only_attachment(db, whatsapp.inbox)
    assert attachment["size"] == len(PHOTO)
    assert (runtime.settings.data_dir / "attachments" / attachment["path"]).read_bytes() == PHOTO


def _run_fetch(runtime: Runtime, world: World, message_id: uuid.UUID) -> None:
    """The job's handler run as the worker runs it (a second run: a worker whose lease expired)."""
    with runtime.sessions() as session:
        channels_tasks.fetch_attachments(
            JobContext(
                session=session, payload={"message_id": str(message_id)}, workspace_id=world.workspace.id,
                job_id=uuid.uuid4(), kind=service.FETCH_ATTACHMENTS_JOB, attempt=1, runtime=runtime,
            )
        )  # fmt: skip
        session.commit()


def test_the_last_attempt_marks_what_is_left_failed(
    client: TestClient, db: Session, runtime: Runtime, world: World, whatsapp: WhatsApp
) -> None:
    whatsapp.send(client)
    whatsapp.outage(True)
    [(message_id, _, _)] = stored(db, whatsapp.inbox)
    with pytest.raises(Exception, match="WhatsApp"):
        _run_fetch(runtime, world, message_id)
    assert only_attachment(db, whatsapp.inbox)["status"] == "pending"
    with runtime.sessions() as session:
        context = JobContext(
            session=session, payload={"message_id": str(message_id)}, workspace_id=world.workspace.id,
            job_id=uuid.uuid4(), kind=service.FETCH_ATTACHMENTS_JOB, attempt=service.FETCH_ATTACHMENTS_ATTEMPTS,
            runtime=runtime,
        )  # fmt: skip
        channels_tasks.fetch_attachments(context)
    attachment = only_attachment(db, whatsapp.inbox)
    assert attachment["status"] == "failed" and "gave up after" in attachment["error"]


# -- each provider's own rules -------------------------------------------------------------------------------------


def test_whatsapp_refuses_a_photo_whose_sha256_is_not_the_one_meta_gave(
    client: TestClient, db: Session, runtime: Runtime, whatsapp: WhatsApp
) -> None:
    whatsapp.sha256 = hashlib.sha256(b"another file").hexdigest()
    whatsapp.send(client)
    drain(runtime)
    attachment = only_attachment(db, whatsapp.inbox)
    assert attachment["status"] == "failed" and "sha256" in attachment["error"]
    assert not attachment["path"] and not (runtime.settings.data_dir / "attachments").exists()


def test_whatsapp_keeps_a_documents_name_and_type(
    client: TestClient, db: Session, runtime: Runtime, whatsapp: WhatsApp
) -> None:
    part = whatsapp.sim.hold_media(whatsapp_tests.PNID, b"%PDF-1.7 invoice", "application/pdf")
    body = message_notification(
        whatsapp_tests.PNID, whatsapp_tests.DISPLAY, wa_id=whatsapp_tests.WA_ID, name="Camille", wamid="wamid.D1",
        text="My invoice", media=("document", {**part, "filename": "../invoice 42.pdf"}),
    )  # fmt: skip
    assert whatsapp_tests.post(client, whatsapp.inbox, body).status_code == 200
    drain(runtime)
    [(_, text, [attachment])] = stored(db, whatsapp.inbox)
    assert text == "[document] My invoice"
    assert (attachment["filename"], attachment["content_type"]) == ("invoice 42.pdf", "application/pdf")
    assert attachment["path"].endswith("/0-invoice_42.pdf")


def test_whatsapp_sends_its_token_to_no_host_but_its_apis(
    client: TestClient, db: Session, runtime: Runtime, whatsapp: WhatsApp
) -> None:
    listener = Echo()
    with ThreadServer(listener.app()) as elsewhere:
        whatsapp.sim.media_base = elsewhere.url.replace("127.0.0.1", "localhost")
        whatsapp.send(client)
        drain(runtime)
    attachment = only_attachment(db, whatsapp.inbox)
    assert attachment["status"] == "failed" and "outside its API" in attachment["error"]
    assert listener.seen == []


def test_a_telegram_bot_token_is_in_no_error_kept(
    client: TestClient, db: Session, runtime: Runtime, telegram: Telegram
) -> None:
    token = telegram_tests.TOKEN
    telegram.send(client)
    telegram.outage(True)
    attempt(runtime, db)
    [job] = fetch_jobs(db)
    assert job.last_error and "Telegram" in job.last_error and token not in job.last_error
    telegram.outage(False)
    telegram.forget()
    drain_until(runtime, lambda: only_attachment(db, telegram.inbox)["status"] != "pending")
    attachment = only_attachment(db, telegram.inbox)
    assert attachment["status"] == "failed" and "404" in attachment["error"]
    assert token not in orjson.dumps(attachment).decode() and token not in (
        fetch_jobs(db)[0].last_error or ""
    )


def test_a_telegram_photo_is_fetched_at_its_largest_size_within_the_limit() -> None:
    sizes = [
        {"file_id": "small", "width": 90, "height": 67, "file_size": 1_000},
        {"file_id": "medium", "width": 800, "height": 600, "file_size": 60_000},
        {"file_id": "large", "width": 2560, "height": 1920, "file_size": 900_000},
    ]
    body = update(1, user_id=telegram_tests.USER_ID, first_name="Camille", text="", media={"photo": sizes})
    within = telegram_inbound(body, inbox_address="@LampShopBot", max_bytes=100_000)
    assert within is not None and [a.source for a in within.remote_attachments] == [{"file_id": "medium"}]
    none_fit = telegram_inbound(body, inbox_address="@LampShopBot", max_bytes=10)
    assert none_fit is not None and [a.source for a in none_fit.remote_attachments] == [{"file_id": "small"}]


def test_twilio_credentials_go_to_the_accounts_own_media_urls_only(
    client: TestClient, db: Session, runtime: Runtime, settings: Settings, twilio: Twilio
) -> None:
    elsewhere = TwilioSimulator(accounts={sms_tests.ACCOUNT: (sms_tests.TOKEN, {sms_tests.NUMBER})})
    with ThreadServer(elsewhere.app()) as other:
        sid = "MM" + "9" * 32
        path = elsewhere.hold_media(sms_tests.ACCOUNT, sid, PHOTO, "image/jpeg")
        params = {
            **sms_tests.incoming(sid=sid, body="Here"),
            **media_fields((other.url + path, "image/jpeg")),
        }
        response: Any = sms_tests.post_signed(client, settings, twilio.inbox.callbacks["messages"], params)
        assert response.status_code == 200
        drain(runtime)
    [(_, text, [attachment])] = stored(db, twilio.inbox)
    assert text == "Here [image]"
    assert attachment["status"] == "failed" and "not under the Twilio account" in attachment["error"]
    assert elsewhere.calls == 0 and elsewhere.media_served == 0


# -- the one GET: redirects, credentials, limits ------------------------------------------------------------------


class Echo:
    """A server that records who asked what, answers `/file` with bytes and redirects `/to?url=...`."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            self.seen.append((request.url.path, request.headers.get("authorization")))
            if request.url.path == "/to":
                return RedirectResponse(request.query_params["url"], status_code=302)
            return Response(b"bytes", media_type="image/png")

        return Starlette(routes=[Route("/{path:path}", handle)])


LOOSE = MediaLimits(max_bytes=1000, private_addresses=True, timeout=5.0)


def test_a_redirect_elsewhere_is_followed_without_the_credentials() -> None:
    first, second = Echo(), Echo()
    with ThreadServer(first.app()) as origin, ThreadServer(second.app()) as other:
        same = download(f"{origin.url}/to?url=/file", provider="Test", limits=LOOSE, auth=("AC1", "secret"))
        away = download(
            f"{origin.url}/to?url={other.url}/file", provider="Test", limits=LOOSE, auth=("AC1", "x")
        )
    assert same.data == away.data == b"bytes" and same.content_type == "image/png"
    assert [auth is not None for _, auth in first.seen] == [True, True, True]  # its own origin: credentials
    assert second.seen == [("/file", None)]  # another origin: none


@pytest.mark.parametrize(
    ("target", "reason"),
    [("file:///etc/passwd", "http(s) only"), ("/to?url=/to?url=/to?url=/to?url=/file", "more than 3 times")],
    ids=["not http", "a loop"],
)
def test_a_redirect_out_of_http_or_round_and_round_is_refused(target: str, reason: str) -> None:
    with ThreadServer(Echo().app()) as origin, pytest.raises(MediaRefused, match=re.escape(reason)):
        download(f"{origin.url}/to?url={quote(target, safe='')}", provider="Test", limits=LOOSE)


def test_media_is_fetched_from_the_providers_hosts_only_and_over_http_only() -> None:
    with pytest.raises(MediaRefused, match="outside its API"):
        download("http://127.0.0.1:9/x", provider="Test", limits=LOOSE, hosts=frozenset({"api.example"}))
    with pytest.raises(MediaRefused, match=re.escape("http(s) only")):
        download("ftp://127.0.0.1/x", provider="Test", limits=LOOSE)
    with pytest.raises(MediaRefused, match="not a public address"):
        download("http://127.0.0.1:9/x", provider="Test", limits=replace(LOOSE, private_addresses=False))


# -- limits --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"channel_media_private_addresses": False}, "not a public address"),
        ({"channel_media_max_bytes": 1000}, "more than the 1000 bytes allowed"),
    ],
    ids=["private address", "too large"],
)
def test_a_photo_beyond_the_settings_limits_is_refused_for_good(
    db: Session, world: World, settings: Settings, changes: dict[str, Any], reason: str
) -> None:
    limited = build_runtime(settings.model_copy(update=changes))
    try:
        with TestClient(
            create_app(limited.settings, runtime=limited), raise_server_exceptions=False
        ) as client:
            for messenger in _meta(meta_tests.MESSENGER)(db, world, limited.settings):
                messenger.send(client)
                drain(limited)
                attachment = only_attachment(db, messenger.inbox)
                assert attachment["status"] == "failed" and reason in attachment["error"]
                assert messenger.served() == (1 if "bytes" in reason else 0)
    finally:
        limited.close()


def test_production_fetches_from_public_addresses_only_unless_told(settings: Settings) -> None:
    strong = "k" + "9Zq3xT7vB2nM4pL8wR6yC1dF5gH0jK" * 2
    production = settings.model_copy(update={"environment": "production", "secret_key": strong})
    assert production.media_from_private_addresses is False
    assert settings.media_from_private_addresses is True  # tests (and development): the local stand-ins
    allowed = production.model_copy(update={"channel_media_private_addresses": True})
    assert allowed.media_from_private_addresses is True
