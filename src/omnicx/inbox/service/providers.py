"""Inboxes on a provider's account (SMS through Twilio...): the check that proves the account before its inbox
routes anything, and the account's credentials, sealed at rest.

The inbox domain does not speak to providers; the channels do. Each provider channel offers an `AccountCheck`
(it asks the provider whether these credentials hold the address) and where the provider must call back; the
composition root registers them (`omnicx.app.wiring`). A provider channel without a registered check cannot
get an inbox: an unproven account would let anyone receive as someone else's number.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.models import Inbox
from omnicx.inbox.schemas import ApprovedTemplate, InboxPublic
from omnicx.kernel.access.sealing import seal, unseal

CREDENTIALS_PURPOSE = "inbox provider credentials"  # the sealing purpose of `Inbox.credentials`
# Channels whose inboxes live on a provider's account, proven when the inbox is created.
PROVIDER_CHANNELS = frozenset(
    {
        MessagingChannel.SMS,
        MessagingChannel.WHATSAPP,
        MessagingChannel.MESSENGER,
        MessagingChannel.INSTAGRAM,
        MessagingChannel.TELEGRAM,
    }
)


@dataclass(frozen=True)
class ProvenAccount:
    """What a provider confirmed: the address in its canonical form, and the credentials to keep."""

    address: str
    credentials: dict[str, str]


@dataclass(frozen=True)
class CredentialField:
    """One credential a provider's inbox needs, as the settings form asks for it (`label` marked for
    translation; `secret` fields are typed as passwords and never shown again)."""

    key: str
    label: str
    secret: bool = False
    required: bool = True


@dataclass(frozen=True)
class Connection:
    """What a provider's `connect` step gets once the inbox's id is known, before it is stored: where the
    provider must call (the server's public base URL) and the proven account, whose credentials it may add to
    (a secret token it generated and registered with the provider)."""

    inbox_id: uuid.UUID
    base_url: str | None
    account: ProvenAccount


@dataclass(frozen=True)
class Provider:
    """What a provider channel offers the inbox:

    - `check(address, credentials)` proves the account (raising `omnicx.kernel.errors.Invalid` with the
      provider's reason otherwise);
    - `callbacks(inbox_id)` names the paths (under the server's public URL) the provider calls, shown to whoever
      sets the inbox up;
    - `fields`, `account_help` and `webhook_help` (marked for translation) are what the settings page asks for
      a new inbox and says about its account and its webhooks;
    - `connect`, when the provider is told where to call rather than configured by hand (Telegram's
      `setWebhook`), registers the inbox's callback with the provider and returns the account to keep;
    - `templates(credentials)`, where the channel sends approved templates (WhatsApp), lists those the account
      may send, for the composer to offer (raising `omnicx.kernel.errors.Invalid` with the provider's reason).
    """

    check: Callable[[str, dict[str, str]], ProvenAccount]
    callbacks: Callable[[uuid.UUID], dict[str, str]]
    fields: tuple[CredentialField, ...] = ()
    account_help: str = ""
    webhook_help: str = ""
    connect: Callable[[Connection], ProvenAccount] | None = None
    templates: Callable[[dict[str, str]], list[ApprovedTemplate]] | None = None


_PROVIDERS: dict[MessagingChannel, Provider] = {}


def register_provider(channel: MessagingChannel, provider: Provider) -> None:
    _PROVIDERS[channel] = provider


def registered_providers() -> dict[MessagingChannel, Provider]:
    """Every registered provider channel, in the order the settings page offers them."""
    return {channel: _PROVIDERS[channel] for channel in MessagingChannel if channel in _PROVIDERS}


def provider_for(channel: MessagingChannel) -> Provider | None:
    """The registered provider of `channel`; raises for a provider channel nobody registered (an unwired
    process must not create inboxes it cannot prove)."""
    provider = _PROVIDERS.get(channel)
    if provider is None and channel in PROVIDER_CHANNELS:
        raise RuntimeError(
            f"no provider registered for the {channel.value} channel: call omnicx.app.wiring.wire()"
        )
    return provider


def public_inbox(inbox: Inbox) -> InboxPublic:
    """An inbox as callers see it: never its credentials; a provider channel's callback paths."""
    public = InboxPublic.model_validate(inbox)
    provider = _PROVIDERS.get(inbox.channel)
    if provider is not None:
        public.callbacks = provider.callbacks(inbox.id)
    return public


def seal_credentials(secret_key: str, credentials: dict[str, str]) -> str:
    return seal(secret_key, orjson.dumps(credentials).decode(), purpose=CREDENTIALS_PURPOSE)


def unseal_credentials(secret_key: str, sealed: str | None) -> dict[str, str] | None:
    """The credentials sealed in `sealed`, or None (none kept, or the server's secret key changed)."""
    if not sealed:
        return None
    plain = unseal(secret_key, sealed, purpose=CREDENTIALS_PURPOSE)
    return None if plain is None else {str(k): str(v) for k, v in orjson.loads(plain).items()}


@dataclass(frozen=True)
class ProviderInbox:
    """An inbox of a provider channel as its webhooks need it: where it receives and its account."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    channel: MessagingChannel
    address: str
    credentials: dict[str, str]


def provider_inbox(
    session: Session, *, channel: MessagingChannel, inbox_id: uuid.UUID, secret_key: str
) -> ProviderInbox | None:
    """The `channel` inbox `inbox_id` with its credentials, whatever its workspace (a provider's webhook names
    the inbox in its URL and is then verified with these credentials); None when there is no such inbox or its
    credentials cannot be read."""
    inbox = session.scalar(select(Inbox).where(Inbox.id == inbox_id, Inbox.channel == channel))
    if inbox is None:
        return None
    credentials = unseal_credentials(secret_key, inbox.credentials)
    if credentials is None:
        return None
    return ProviderInbox(
        id=inbox.id,
        workspace_id=inbox.workspace_id,
        channel=inbox.channel,
        address=inbox.address,
        credentials=credentials,
    )
