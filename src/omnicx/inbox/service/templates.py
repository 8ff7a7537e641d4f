"""The approved templates a conversation's composer offers (WhatsApp): outside the customer service window they
are the only messages a business may send, and an agent should choose one rather than type its name by heart.

The provider's channel lists them (`Provider.templates`); the answer is kept per inbox for a few minutes, so a
page load does not call the provider each time. A provider that refuses or does not answer never breaks the
page: its reason is logged and shown, and the agent may still type a template's name.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field

from cachetools import TTLCache
from sqlalchemy.orm import Session

from omnicx.inbox.models import Inbox
from omnicx.inbox.schemas import ApprovedTemplate
from omnicx.inbox.service.conversations import load_conversation
from omnicx.inbox.service.providers import provider_for, unseal_credentials
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError

log = logging.getLogger("omnicx.inbox.templates")

CACHED_FOR_SECONDS = 300
# (inbox id, business account id) -> its approved templates; only answers are kept, not failures.
_cache: TTLCache[tuple[uuid.UUID, str], list[ApprovedTemplate]] = TTLCache(
    maxsize=1_000, ttl=CACHED_FOR_SECONDS
)
_lock = threading.Lock()


@dataclass(frozen=True)
class TemplateOffer:
    """The templates to offer, and why none could be loaded (`error`, the provider's reason) when that failed."""

    templates: list[ApprovedTemplate] = field(default_factory=list)
    error: str | None = None


def approved_templates(session: Session, *, inbox_id: uuid.UUID, secret_key: str) -> TemplateOffer:
    """The templates the inbox's account had approved: none when its channel has no templates or the inbox
    names no business account; the provider's reason, and none, when it could not list them."""
    inbox = session.get(Inbox, inbox_id)
    provider = provider_for(inbox.channel) if inbox is not None else None
    if inbox is None or provider is None or provider.templates is None:
        return TemplateOffer()
    credentials = unseal_credentials(secret_key, inbox.credentials)
    if credentials is None:
        return TemplateOffer(error="the inbox's credentials cannot be read (was the secret key changed?)")
    account = credentials.get("business_account_id", "")
    if not account:
        return TemplateOffer()
    with _lock:
        cached = _cache.get((inbox_id, account))
    if cached is not None:
        return TemplateOffer(templates=cached)
    try:
        found = provider.templates(credentials)
    except DomainError as error:
        log.warning("templates of inbox %s could not be loaded: %s", inbox_id, error.message)
        return TemplateOffer(error=error.message)
    with _lock:
        _cache[(inbox_id, account)] = found
    return TemplateOffer(templates=found)


def conversation_templates(
    session: Session, *, principal: Principal, conversation_id: uuid.UUID, secret_key: str
) -> TemplateOffer:
    """The templates an agent who may see the conversation can send on its inbox."""
    conversation = load_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    return approved_templates(session, inbox_id=conversation.inbox_id, secret_key=secret_key)
