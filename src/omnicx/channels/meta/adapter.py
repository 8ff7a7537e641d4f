"""Messenger and Instagram direct messages, one adapter for both: Meta delivers them in one webhook format
(`object` `page` or `instagram`, each entry's `messaging` events) and sends them through one Send API.

- An inbox's account is proven with the Graph API when it is created: a Messenger inbox receives at its Page id,
  which the Page access token must open; an Instagram inbox at the professional account's username, which the
  Instagram account id must carry.
- A customer is known by their page-scoped id (PSID, or IGSID on Instagram), which Meta signs: a verified
  identifier, kept as the person's `messenger` or `instagram` identifier.
- Echoes (the Page's own messages, sent from omnicx or Meta's apps) are ignored.
- Images, videos, audio and files come as URLs on Meta's CDN, signed into the webhook (no token needed): the
  message is stored with them pending, and a job fetches them (`channels/media.py`: size cap, timeout, public
  addresses only in production).
- Replies go out as `RESPONSE` within 24 hours of the customer's last message, and as `MESSAGE_TAG` with the
  `HUMAN_AGENT` tag for seven days after it (`inbox/service/window.py` decides, when the agent replies).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from omnicx.channels import media
from omnicx.channels.base import DeliveryFailed, SendResult
from omnicx.channels.meta import graph
from omnicx.channels.provider_api import ApiClient, ProviderError, account_check
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import (
    Attachment,
    AttachmentToFetch,
    InboundMessage,
    OutboundMessage,
    RemoteAttachment,
    StatusReport,
)
from omnicx.inbox.service import CredentialField, ProvenAccount, Provider
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.settings import Settings

SECRETS = ("access_token", "app_secret", "verify_token")
# Attachment types that are files at a URL (a sticker is an image); others (a shared post, a location) are not.
MEDIA = ("image", "video", "audio", "file")
MAX_MEDIA = 10


@dataclass(frozen=True)
class MetaChannel:
    """What differs between Messenger and Instagram: the webhook's `object`, the account id's credential, and
    where its webhook lives."""

    channel: MessagingChannel
    name: str
    webhook_object: str
    id_key: str

    @property
    def prefix(self) -> str:
        return f"/channels/{self.channel.value}"

    def callbacks(self, inbox_id: uuid.UUID) -> dict[str, str]:
        """The callback URL to give Meta (with the inbox's verify token): the handshake and every event."""
        return {"webhook": f"{self.prefix}/{inbox_id}/webhook"}


MESSENGER = MetaChannel(MessagingChannel.MESSENGER, "Messenger", "page", "page_id")
INSTAGRAM = MetaChannel(MessagingChannel.INSTAGRAM, "Instagram", "instagram", "instagram_id")
CHANNELS = {meta.channel: meta for meta in (MESSENGER, INSTAGRAM)}


class SendApi(ApiClient):
    """The Graph API calls omnicx makes for one Page or Instagram account (`api_base` replaceable)."""

    def __init__(self, provider: str, account_id: str, access_token: str, *, api_base: str) -> None:
        self.provider = provider
        self.account_id = account_id
        super().__init__(graph.client(access_token, api_base))

    def account(self, fields: str) -> dict[str, Any]:
        """The account's own fields (`id,name` of a Page, `username` of an Instagram account)."""
        response = self._client.get(f"/{self.account_id}", params={"fields": fields})
        if response.status_code != 200:
            raise ProviderError(graph.api_error(self.provider, response))
        found: dict[str, Any] = response.json()
        return found

    def person(self, person_id: str, fields: str) -> dict[str, Any]:
        """A sender's profile, by the id the Page or account knows them by (`first_name,last_name` on
        Messenger, `name,username` on Instagram)."""
        response = self._client.get(f"/{person_id}", params={"fields": fields})
        if response.status_code != 200:
            raise ProviderError(graph.api_error(self.provider, response))
        found: dict[str, Any] = response.json()
        return found

    def send(self, body: dict[str, Any]) -> str:
        """Send one message; returns its `mid`, which delivery and read events name."""
        response = self._client.post(f"/{self.account_id}/messages", json=body)
        if response.status_code != 200:
            raise ProviderError(graph.api_error(self.provider, response))
        return str(response.json()["message_id"])


def _api(meta: MetaChannel, credentials: dict[str, str]) -> SendApi:
    return SendApi(
        meta.name,
        credentials[meta.id_key],
        credentials["access_token"],
        api_base=credentials.get("api_base") or graph.API_BASE,
    )


def _require(meta: MetaChannel, credentials: dict[str, str], keys: tuple[str, ...]) -> None:
    unknown = set(credentials) - {*keys, "api_base"}
    if unknown:
        raise Invalid(f"unknown {meta.name} credentials: {', '.join(sorted(unknown))}")
    missing = [key for key in keys if not credentials.get(key)]
    if missing:
        raise Invalid(f"a {meta.name} inbox needs its {', '.join(missing)}")


def _ask(meta: MetaChannel, credentials: dict[str, str], fields: str) -> dict[str, Any]:
    with account_check("the Graph API", "refused the account"), _api(meta, credentials) as api:
        return api.account(fields)


def _kept(credentials: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in credentials.items() if v}


def check_page(address: str, credentials: dict[str, str]) -> ProvenAccount:
    """Prove that the Page access token opens the Page `address` (its numeric id): no one receives a Page's
    messages without its token."""
    _require(MESSENGER, credentials, SECRETS)
    page_id = address.strip()
    if not page_id.isdigit():
        raise Invalid(f"a Messenger inbox receives at its Page id (digits), not {address!r}")
    found = _ask(MESSENGER, {**credentials, "page_id": page_id}, "id,name")
    if str(found.get("id")) != page_id:
        raise Invalid(f"the access token opens Page {found.get('id')}, not {page_id}")
    return ProvenAccount(address=page_id, credentials=_kept({**credentials, "page_id": page_id}))


def check_instagram(address: str, credentials: dict[str, str]) -> ProvenAccount:
    """Prove that the Instagram account id is the account `address` (its username, with or without `@`), asked
    of the Graph API with the access token."""
    _require(INSTAGRAM, credentials, ("instagram_id", *SECRETS))
    wanted = address.strip().removeprefix("@").lower()
    username = str(_ask(INSTAGRAM, credentials, "username").get("username") or "")
    if not wanted or username.lower() != wanted:
        raise Invalid(
            f"Instagram account {credentials['instagram_id']} is @{username or '?'}, not @{wanted or '?'}"
        )
    return ProvenAccount(address=f"@{username}", credentials=_kept(credentials))


_SECRET_FIELDS = (
    CredentialField("access_token", N_("Page access token"), secret=True),
    CredentialField("app_secret", N_("App secret"), secret=True),
    CredentialField("verify_token", N_("Verify token")),
)
_WEBHOOK_HELP = N_(
    "In your Meta app's webhook settings, set the callback URL below with the verify token you chose, and "
    "subscribe to messages, message_deliveries, message_reads and message_echoes. Every event is checked against "
    "the app secret: unsigned ones are refused."
)
MESSENGER_PROVIDER = Provider(
    check=check_page,
    callbacks=MESSENGER.callbacks,
    fields=_SECRET_FIELDS,
    account_help=N_(
        "The address is the Page id. From your Meta app: a Page access token with pages_messaging, and the app "
        "secret. omnicx asks the Graph API whether the token opens the Page before the inbox is created."
    ),
    webhook_help=_WEBHOOK_HELP,
)
INSTAGRAM_PROVIDER = Provider(
    check=check_instagram,
    callbacks=INSTAGRAM.callbacks,
    fields=(CredentialField("instagram_id", N_("Instagram account id")), *_SECRET_FIELDS),
    account_help=N_(
        "The address is the professional account's username. From your Meta app: the Instagram account id, the "
        "linked Page's access token with instagram_manage_messages, and the app secret. omnicx asks the Graph API "
        "which username the id carries before the inbox is created."
    ),
    webhook_help=_WEBHOOK_HELP,
)


@dataclass(frozen=True)
class Watermark:
    """Every reply to `source_id` sent up to `until` has reached `status` (Messenger's delivery and read events
    name a time rather than messages)."""

    source_id: str
    until: datetime
    status: DeliveryStatus


@dataclass(frozen=True)
class Events:
    """What one webhook call says for an inbox: customers' messages, reports on replies, and watermarks."""

    messages: list[InboundMessage]
    reports: list[StatusReport]
    watermarks: list[Watermark]


def events(meta: MetaChannel, notification: dict[str, Any], *, account_id: str, inbox_address: str) -> Events:
    """The events of the notification's entries for the inbox's account (another Page's entries are ignored)."""
    found = Events([], [], [])
    for entry in notification.get("entry") or []:
        if not isinstance(entry, dict) or str(entry.get("id") or "") != account_id:
            continue
        for event in entry.get("messaging") or []:
            if isinstance(event, dict):
                _read_event(meta, event, account_id=account_id, inbox_address=inbox_address, into=found)
    return found


def _read_event(
    meta: MetaChannel, event: dict[str, Any], *, account_id: str, inbox_address: str, into: Events
) -> None:
    sender = str((event.get("sender") or {}).get("id") or "")
    if not sender or sender == account_id:
        return  # the Page's own echo, or no sender
    message = event.get("message")
    if isinstance(message, dict):
        inbound = _inbound(meta, sender, message, event.get("timestamp"), inbox_address=inbox_address)
        if inbound is not None:
            into.messages.append(inbound)
    for key, status in (("delivery", DeliveryStatus.DELIVERED), ("read", DeliveryStatus.READ)):
        part = event.get(key)
        if isinstance(part, dict):
            _status(part, sender, status, into=into)


def _inbound(
    meta: MetaChannel, sender: str, message: dict[str, Any], timestamp: object, *, inbox_address: str
) -> InboundMessage | None:
    if message.get("is_echo") or not message.get("mid") or message.get("is_deleted"):
        return None
    return InboundMessage(
        channel=meta.channel,
        inbox_address=inbox_address,
        source_id=sender,
        provider_message_id=str(message["mid"])[:500],
        text=_text(message),
        remote_attachments=_remote(message),
        received_at=_time(timestamp),
        lookup_profile=True,  # Meta names the sender by id only: their profile name is asked afterwards
        sender_verified=True,
    )


def _remote(message: dict[str, Any]) -> list[RemoteAttachment]:
    """The files a message carries as CDN URLs, named by the URL's last segment (Meta gives no name)."""
    found = []
    for attachment in (message.get("attachments") or [])[:MAX_MEDIA]:
        kind = str(attachment.get("type") or "") if isinstance(attachment, dict) else ""
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        url = str(payload.get("url") or "") if isinstance(payload, dict) else ""
        if kind not in MEDIA or not url.startswith(("https://", "http://")):
            continue
        last = urlsplit(url).path.rpartition("/")[2]
        found.append(
            RemoteAttachment(
                filename=media.filename_for(kind, media.GENERIC_TYPE, name=last if "." in last else None),
                source={"url": url},
            )
        )
    return found


def _text(message: dict[str, Any]) -> str:
    """What the customer wrote; attachments show as their type (and caption-less URL) until fetched."""
    text = str(message.get("text") or "")
    kinds = [
        f"[{attachment.get('type') or 'file'}]"
        for attachment in message.get("attachments") or []
        if isinstance(attachment, dict)
    ]
    if message.get("is_unsupported"):
        kinds.append("[unsupported]")
    return " ".join(filter(None, [text, *kinds]))


def _status(part: dict[str, Any], sender: str, status: DeliveryStatus, *, into: Events) -> None:
    mids = [str(m) for m in part.get("mids") or [] if m] + ([str(part["mid"])] if part.get("mid") else [])
    into.reports.extend(StatusReport(provider_message_id=mid, status=status) for mid in mids)
    until = _time(part.get("watermark"))
    if not mids and until is not None:
        into.watermarks.append(Watermark(source_id=sender, until=until, status=status))


def _time(value: object) -> datetime | None:
    """Meta's times are milliseconds since the epoch."""
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def payload(message: OutboundMessage) -> dict[str, Any]:
    """The Send API's body: a response within the window, the human agent tag after it."""
    body: dict[str, Any] = {"recipient": {"id": message.to}, "message": {"text": message.text}}
    if message.tag:
        return {**body, "messaging_type": "MESSAGE_TAG", "tag": message.tag}
    return {**body, "messaging_type": "RESPONSE"}


class MetaAdapter:
    """Sends replies of one of the two channels through the Send API."""

    def __init__(self, meta: MetaChannel) -> None:
        self.meta = meta
        self.kind = meta.channel

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        """Throttling and Meta's failures raise for the job to retry; any other refusal (outside the window, a
        person who blocked the Page) fails the reply with Meta's reason."""
        if not message.credentials:
            raise DeliveryFailed(
                f"the inbox's {self.meta.name} credentials cannot be read (was the secret key changed?)"
            )
        try:
            with _api(self.meta, message.credentials) as api:
                mid = api.send(payload(message))
        except ProviderError as error:
            if error.error.transient:
                raise
            raise DeliveryFailed(str(error)) from error
        return SendResult(status=DeliveryStatus.SENT, provider_message_id=mid)

    def profile_name(self, source_id: str, *, credentials: dict[str, str]) -> str:
        """The sender's profile name ("Léa Martin"; "@lea.m" on Instagram without a name). Raises
        ProviderError (transient or not) when Meta does not give it."""
        fields = "name,username" if self.meta is INSTAGRAM else "first_name,last_name"
        with _api(self.meta, credentials) as api:
            found = api.person(source_id, fields)
        if self.meta is INSTAGRAM:
            username = str(found.get("username") or "")
            return str(found.get("name") or "") or (f"@{username}" if username else "")
        return " ".join(str(found.get(key) or "") for key in ("first_name", "last_name")).strip()

    def fetch(
        self, item: AttachmentToFetch, *, credentials: dict[str, str], limits: media.MediaLimits
    ) -> Attachment:
        """A file from Meta's CDN at the URL the signed event named: no credentials, the CDN's own type."""
        got = media.download(item.source.get("url", ""), provider=self.meta.name, limits=limits)
        return media.attachment(item, got)
