"""Whether a channel may message an address: the channels whose recipients opt out by keyword (SMS: STOP) keep
that consent in identity, per identifier; the inbox shows it beside the reply box and the delivery job
honours it before sending."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import ConsentPublic, Identifier, IdentifierKind
from omnicx.inbox.enums import MessagingChannel

# The identifier a channel's consent is kept under.
CONSENT_KINDS = {MessagingChannel.SMS: IdentifierKind.PHONE, MessagingChannel.WHATSAPP: IdentifierKind.PHONE}


def opt_out_of(
    session: Session, *, workspace_id: uuid.UUID, channel: MessagingChannel, address: str
) -> ConsentPublic | None:
    """The opt-out of `address` from `channel` that senders must honour, or None when it may be messaged."""
    kind = CONSENT_KINDS.get(channel)
    if kind is None or not address:
        return None
    return identity_service.opted_out(
        session,
        workspace_id=workspace_id,
        identifier=Identifier(kind=kind, value=address),
        channel=channel.value,
    )
