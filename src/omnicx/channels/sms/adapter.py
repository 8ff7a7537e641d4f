"""The SMS channel's adapter: an inbox's Twilio account proven when it is created, inbound webhooks turned into
the inbox's messages and statuses (an MMS's media named by URL, fetched afterwards with the account's Basic
auth), replies sent through Twilio's Messages API."""

from __future__ import annotations

import uuid

from omnicx.channels import media
from omnicx.channels.base import DeliveryFailed, SendResult
from omnicx.channels.numbers import e164, phone_number
from omnicx.channels.provider_api import ProviderError, account_check
from omnicx.channels.sms import twilio
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

PREFIX = "/channels/sms"
KEYS = frozenset({"account_sid", "auth_token", "api_base"})


def callbacks(inbox_id: uuid.UUID) -> dict[str, str]:
    """The paths Twilio calls: the number's "a message comes in" webhook, and each reply's status callback
    (omnicx names it on every message it sends)."""
    return {"messages": f"{PREFIX}/{inbox_id}/messages", "status": f"{PREFIX}/{inbox_id}/status"}


def _api(credentials: dict[str, str]) -> twilio.TwilioApi:
    return twilio.TwilioApi(
        credentials["account_sid"],
        credentials["auth_token"],
        api_base=credentials.get("api_base") or twilio.API_BASE,
    )


def check_account(address: str, credentials: dict[str, str]) -> ProvenAccount:
    """Prove that the Twilio account `credentials` name holds the number `address`: asked of Twilio itself, so
    no one can receive as a number that is not theirs."""
    unknown = set(credentials) - KEYS
    if unknown:
        raise Invalid(f"unknown SMS credentials: {', '.join(sorted(unknown))}")
    if not credentials.get("account_sid", "").startswith("AC") or not credentials.get("auth_token"):
        raise Invalid("an SMS inbox needs its Twilio account_sid (AC...) and auth_token")
    number = phone_number(address)
    with account_check("Twilio", "refused the account"), _api(credentials) as api:
        owned = api.owns_number(number)
    if not owned:
        raise Invalid(f"the Twilio account {credentials['account_sid']} has no number {number}")
    kept = {k: v for k, v in credentials.items() if k in KEYS and v}
    return ProvenAccount(address=number, credentials=kept)


PROVIDER = Provider(
    check=check_account,
    callbacks=callbacks,
    fields=(
        CredentialField("account_sid", N_("Account SID")),
        CredentialField("auth_token", N_("Auth token"), secret=True),
    ),
    account_help=N_(
        "omnicx asks Twilio whether this account holds the number before the inbox is created. The auth token is "
        "kept encrypted."
    ),
    webhook_help=N_(
        "In Twilio's console, under the number's messaging configuration, set \"A message comes in\" to this URL "
        "(HTTP POST). Replies name their own status callback. Every request is checked against the account's auth "
        "token: unsigned ones are refused."
    ),
)


def inbound(params: dict[str, str], *, inbox_address: str) -> InboundMessage:
    """A message Twilio delivered to the inbox's number. The sender's number is the carrier's, passed on by
    Twilio in a signed request: a verified identifier of the customer. An MMS's media show in the text as
    their kind until they are fetched."""
    sender = e164(params.get("From", "")) or params.get("From", "")
    remote = remote_attachments(params)
    kinds = [f"[{media.kind_of(item.content_type)}]" for item in remote]
    return InboundMessage(
        channel=MessagingChannel.SMS,
        inbox_address=inbox_address,
        source_id=sender,
        phone=sender if sender.startswith("+") else None,
        provider_message_id=params.get("MessageSid") or params.get("SmsMessageSid"),
        text=" ".join(filter(None, [params.get("Body", ""), *kinds])),
        remote_attachments=remote,
        sender_verified=True,
    )


def remote_attachments(params: dict[str, str]) -> list[RemoteAttachment]:
    """The media an MMS names (`NumMedia`, `MediaUrl{N}`, `MediaContentType{N}`), named by their media SID."""
    count = params.get("NumMedia", "0")
    found = []
    for index in range(min(int(count) if count.isdigit() else 0, twilio.MAX_MEDIA)):
        url = params.get(f"MediaUrl{index}", "")
        if not url:
            continue
        content_type = params.get(f"MediaContentType{index}") or media.GENERIC_TYPE
        sid = url.rstrip("/").rpartition("/")[2]
        found.append(
            RemoteAttachment(
                filename=media.filename_for(sid or f"media-{index}", content_type),
                content_type=content_type[:255],
                source={"url": url},
            )
        )
    return found


def status_report(params: dict[str, str], *, message_id: uuid.UUID | None) -> StatusReport | None:
    """A status callback as the inbox records it, or None for a status that changes nothing."""
    status = twilio.STATUSES.get(params.get("MessageStatus", ""))
    if status is None:
        return None
    error = None
    if status is DeliveryStatus.FAILED:
        code = params.get("ErrorCode")
        error = f"Twilio {code}: {params.get('ErrorMessage') or params['MessageStatus']}" if code else None
        error = error or f"Twilio: {params['MessageStatus']}"
    return StatusReport(
        provider_message_id=params.get("MessageSid") or None,
        message_id=message_id,
        status=status,
        error=error,
    )


class SmsAdapter:
    kind = MessagingChannel.SMS

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        """Send the reply from the inbox's number. A refusal Twilio calls final (a bad number, an opted-out
        recipient) fails the reply; 429, 5xx and network errors raise for the job to retry."""
        if not message.credentials:
            raise DeliveryFailed(
                "the inbox's Twilio credentials cannot be read (was the secret key changed?)"
            )
        status_url = f"{settings.base_url.rstrip('/')}{callbacks(message.inbox_id)['status']}"
        try:
            with _api(message.credentials) as api:
                sid = api.send(
                    sender=message.inbox_address,
                    to=message.to,
                    body=message.text,
                    status_callback=f"{status_url}?message={message.message_id}",
                )
        except ProviderError as error:
            if error.error.transient:
                raise
            raise DeliveryFailed(str(error)) from error
        return SendResult(status=DeliveryStatus.SENT, provider_message_id=sid)

    def fetch(
        self, item: AttachmentToFetch, *, credentials: dict[str, str], limits: media.MediaLimits
    ) -> Attachment:
        """An MMS's media, from the account's own media URL only, with its Basic auth (a redirect to where
        Twilio keeps the file gets no credentials)."""
        if not credentials:
            raise media.MediaRefused(
                "the inbox's Twilio credentials cannot be read (was the secret key changed?)"
            )
        api_base = credentials.get("api_base") or twilio.API_BASE
        url = item.source.get("url", "")
        account_sid = credentials["account_sid"]
        if not twilio.account_media(url, api_base=api_base, account_sid=account_sid):
            raise media.MediaRefused(f"the media URL is not under the Twilio account {account_sid}")
        got = media.download(
            url, provider="Twilio", limits=limits, auth=(account_sid, credentials["auth_token"])
        )
        return media.attachment(item, got)
