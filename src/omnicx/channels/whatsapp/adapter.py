"""The WhatsApp channel's adapter: an inbox's business number proven with the Graph API when it is created,
notifications turned into the inbox's messages and statuses (a photo, voice note, video, document or sticker
named by its media id, fetched afterwards and checked against its sha256), replies and templates sent through
the Cloud API.

A customer is known by their WhatsApp id, their international number without `+`: omnicx keeps it as the
E.164 number (a verified phone, signed by Meta), so the same person texting by SMS is the same customer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from omnicx.channels import media
from omnicx.channels.base import DeliveryFailed, SendResult
from omnicx.channels.numbers import e164, phone_number
from omnicx.channels.provider_api import ProviderError, account_check
from omnicx.channels.whatsapp import cloud
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import (
    ApprovedTemplate,
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

PREFIX = "/channels/whatsapp"
REQUIRED = ("phone_number_id", "access_token", "app_secret", "verify_token")
KEYS = frozenset({*REQUIRED, "api_base", "business_account_id"})
# The message types that carry a media id.
MEDIA = ("image", "audio", "video", "document", "sticker")


def callbacks(inbox_id: uuid.UUID) -> dict[str, str]:
    """The callback URL to give Meta (with the inbox's verify token): the handshake and every notification."""
    return {"webhook": f"{PREFIX}/{inbox_id}/webhook"}


def _api(credentials: dict[str, str]) -> cloud.GraphApi:
    return cloud.GraphApi(
        credentials["phone_number_id"],
        credentials["access_token"],
        api_base=credentials.get("api_base") or cloud.API_BASE,
    )


def check_account(address: str, credentials: dict[str, str]) -> ProvenAccount:
    """Prove that the phone number id the credentials name is the number `address`, asked of the Graph API with
    the access token: no one receives as a number that is not theirs."""
    unknown = set(credentials) - KEYS
    if unknown:
        raise Invalid(f"unknown WhatsApp credentials: {', '.join(sorted(unknown))}")
    missing = [key for key in REQUIRED if not credentials.get(key)]
    if missing:
        raise Invalid(f"a WhatsApp inbox needs its {', '.join(missing)}")
    number = phone_number(address)
    with account_check("the Graph API", "refused the account"), _api(credentials) as api:
        shown = api.display_number()
    if e164(shown) != number:
        raise Invalid(
            f"phone number id {credentials['phone_number_id']} is {shown or 'no number'}, not {number}"
        )
    return ProvenAccount(
        address=number, credentials={k: v for k, v in credentials.items() if k in KEYS and v}
    )


def approved_templates(credentials: dict[str, str]) -> list[ApprovedTemplate]:
    """The templates the inbox's business account had approved, for the composer to offer; none without the
    account's id. Raises `Invalid` with the Graph API's reason when it refused or did not answer."""
    business_account_id = credentials.get("business_account_id")
    if not business_account_id:
        return []
    with account_check("the Graph API", "refused to list the templates"), _api(credentials) as api:
        found = api.templates(business_account_id)
    return [ApprovedTemplate.model_validate(template) for template in found]


PROVIDER = Provider(
    check=check_account,
    callbacks=callbacks,
    fields=(
        CredentialField("phone_number_id", N_("Phone number id")),
        CredentialField("access_token", N_("Access token"), secret=True),
        CredentialField("app_secret", N_("App secret"), secret=True),
        CredentialField("verify_token", N_("Verify token")),
        CredentialField("business_account_id", N_("WhatsApp Business Account id"), required=False),
    ),
    account_help=N_(
        "From your Meta app: the phone number id of the business number, a system user's access token and the app "
        "secret. omnicx asks the Graph API which number the id belongs to before the inbox is created. Choose a "
        "verify token and enter the same one in the app's webhook settings. With the WhatsApp Business Account id, "
        "the composer offers the account's approved templates."
    ),
    webhook_help=N_(
        "In your Meta app's WhatsApp configuration, set the callback URL below with the verify token you chose, and "
        "subscribe to the messages field. Every notification is checked against the app secret: unsigned ones are "
        "refused."
    ),
    templates=approved_templates,
)


def _text(message: dict[str, Any]) -> str:
    """What the customer wrote or chose, by message type; other media show as their type until fetched."""
    kind = str(message.get("type") or "")
    found = message.get(kind)
    part: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "text":
        return str(part.get("body") or "")
    if kind == "button":
        return str(part.get("text") or "")
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or {}
        return str(reply.get("title") or "") if isinstance(reply, dict) else ""
    caption = part.get("caption")
    return f"[{kind}] {caption}" if caption else f"[{kind}]"


def _remote(message: dict[str, Any]) -> list[RemoteAttachment]:
    """The media a message names by id, with the checksum and name (documents) Meta gives."""
    kind = str(message.get("type") or "")
    part = message.get(kind)
    if kind not in MEDIA or not isinstance(part, dict) or not part.get("id"):
        return []
    media_id = str(part["id"])
    content_type = str(part.get("mime_type") or media.GENERIC_TYPE)
    source = {"media_id": media_id}
    if part.get("sha256"):
        source["sha256"] = str(part["sha256"])
    name = str(part.get("filename") or "") or None
    return [
        RemoteAttachment(
            filename=media.filename_for(kind, content_type, name=name),
            content_type=content_type[:255],
            source=source,
        )
    ]


def inbound(value: dict[str, Any], *, inbox_address: str) -> list[InboundMessage]:
    """The customers' messages of one notification's `value`, as the inbox stores them."""
    names = {
        str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
        for c in value.get("contacts") or []
        if isinstance(c, dict)
    }
    found = []
    for message in value.get("messages") or []:
        if not isinstance(message, dict) or not message.get("from") or not message.get("id"):
            continue
        wa_id = str(message["from"])
        number = e164("+" + wa_id.lstrip("+"))
        sent_at = _timestamp(message.get("timestamp"))
        found.append(
            InboundMessage(
                channel=MessagingChannel.WHATSAPP,
                inbox_address=inbox_address,
                source_id=number or wa_id,
                phone=number,
                name=names.get(wa_id, "")[:200],
                provider_message_id=str(message["id"]),
                text=_text(message),
                remote_attachments=_remote(message),
                received_at=sent_at,
                sender_verified=True,
            )
        )
    return found


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def status_reports(value: dict[str, Any]) -> list[StatusReport]:
    """The delivery statuses of one notification's `value`; omnicx's own message id comes back in
    `biz_opaque_callback_data`, set when sending (a status may arrive before the send was recorded)."""
    reports = []
    for status in value.get("statuses") or []:
        target = cloud.STATUSES.get(str(status.get("status"))) if isinstance(status, dict) else None
        if target is None:
            continue
        errors = status.get("errors") or []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        error = None
        if target is DeliveryStatus.FAILED:
            detail = first.get("title") or first.get("message") or "failed"
            error = f"WhatsApp {first.get('code', '')}: {detail}".replace("WhatsApp : ", "WhatsApp: ")
        reports.append(
            StatusReport(
                provider_message_id=str(status.get("id") or "") or None,
                message_id=_uuid(status.get("biz_opaque_callback_data")),
                status=target,
                error=error,
            )
        )
    return reports


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def payload(message: OutboundMessage) -> dict[str, Any]:
    """The Cloud API's body for a reply: its text, or the approved template with its body parameters."""
    body: dict[str, Any] = {"to": message.to.lstrip("+"), "biz_opaque_callback_data": str(message.message_id)}
    template = message.template
    if template is None:
        return {**body, "type": "text", "text": {"body": message.text, "preview_url": False}}
    parameters = [{"type": "text", "text": str(p)} for p in template.get("parameters") or []]
    return {
        **body,
        "type": "template",
        "template": {
            "name": template["name"],
            "language": {"code": template.get("language") or "en"},
            "components": [{"type": "body", "parameters": parameters}] if parameters else [],
        },
    }


class WhatsAppAdapter:
    kind = MessagingChannel.WHATSAPP

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        """Send the reply from the inbox's number. Throttling and Meta's failures raise for the job to retry;
        any other refusal (outside the 24-hour window, a number not on WhatsApp) fails the reply."""
        if not message.credentials:
            raise DeliveryFailed(
                "the inbox's WhatsApp credentials cannot be read (was the secret key changed?)"
            )
        try:
            with _api(message.credentials) as api:
                wamid = api.send(payload(message))
        except ProviderError as error:
            if error.error.transient:
                raise
            if error.error.code == cloud.RE_ENGAGEMENT_ERROR:
                raise DeliveryFailed(f"{error}: outside the 24-hour window, send a template") from error
            raise DeliveryFailed(str(error)) from error
        return SendResult(status=DeliveryStatus.SENT, provider_message_id=wamid)

    def fetch(
        self, item: AttachmentToFetch, *, credentials: dict[str, str], limits: media.MediaLimits
    ) -> Attachment:
        """A customer's media: its URL asked of the Graph API by media id, its bytes from that URL (on the API's
        host or Meta's media host only) with the access token, refused when its sha256 is not the one Meta gave."""
        if not credentials:
            raise media.MediaRefused(
                "the inbox's WhatsApp credentials cannot be read (was the secret key changed?)"
            )
        with media.provider_calls("WhatsApp"), _api(credentials) as api:
            found = api.media(item.source.get("media_id", ""))
        media.too_large(found.get("file_size"), limits)
        url = str(found.get("url") or "")
        if not url:
            raise media.MediaRefused("WhatsApp gave no URL for the media")
        got = media.download(
            url,
            provider="WhatsApp",
            limits=limits,
            hosts=cloud.media_hosts(credentials.get("api_base") or cloud.API_BASE),
            headers={"Authorization": f"Bearer {credentials['access_token']}"},
        )
        expected = item.source.get("sha256") or str(found.get("sha256") or "")
        if expected and not media.sha256_matches(got.data, expected):
            raise media.MediaRefused("the media's sha256 is not the one WhatsApp gave: not stored")
        return media.attachment(item, got)
