"""Claims and verified identities: what an inbound message proves about its sender, and what it only claims.

What a chat visitor types (a name, an email) and what an email's `From` says are claims. A claim
- never reaches identity resolution (so it never merges profiles) and never renames a customer: it is kept on
  the sender's contact, shown to agents as "claimed, not verified";
- never attaches a conversation to an existing customer's history: a chat visitor's conversation belongs to
  their own contact (keyed by the visitor id omnicx signed) and to the profile of their own device (its
  anonymous id), unless that device belongs to an identified customer (`identity.service.resolve_device`);
  unauthenticated mail belongs to a `claimed` contact of its own, kept apart from the authenticated sender of
  the same address, and to no customer;
- never threads into another contact's conversation: `References`/`In-Reply-To` only find conversations of
  the same contact (`placement._thread_conversation`), so forged mail can follow only the conversations that
  unauthenticated mail from that address started, never the authenticated sender's;
- never shows the sender more than their own conversations (the widget reads by the signed visitor id).

A sender is verified when the channel proved who sent it (`InboundMessage.sender_verified`: DMARC-aligned mail,
a provider-authenticated id, which on social channels is itself the person's identifier) or when the message
carries a signed site identity that holds under the inbox's identity secret (`user_hash`,
`inbox/site_identity.py`). Its identifiers are then resolved normally (merging
allowed) and its name kept; with a signed site identity only the signed value (the user id, else the email) is
proven. Only an agent links a claimed contact to an existing customer (`contacts.link_contact`, audited).
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import site_identity
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.models import Inbox
from omnicx.inbox.schemas import InboundMessage
from omnicx.kernel.access.sealing import unseal

SEALING_PURPOSE = "inbox identity secret"  # the sealing purpose of `Inbox.identity_secret`
# Channels whose sender ids omnicx signs itself (a chat visitor id): never a claimed address.
SIGNED_SOURCES = frozenset({MessagingChannel.CHAT})
# Channels whose verified sender id is itself an identifier of the person (a Messenger PSID...).
SOCIAL_KINDS = {
    MessagingChannel.MESSENGER: IdentifierKind.MESSENGER,
    MessagingChannel.INSTAGRAM: IdentifierKind.INSTAGRAM,
    MessagingChannel.TELEGRAM: IdentifierKind.TELEGRAM,
}


@dataclass(frozen=True)
class Proof:
    """What the inbox accepts about a message's sender: whether they are verified, the identifiers proven (to
    resolve, merging allowed), the email proven, and whether their address is a claim (`Contact.claimed`)."""

    verified: bool
    identifiers: tuple[Identifier, ...] = ()
    email: str | None = None
    claimed_source: bool = False


def proof_of(inbox: Inbox, message: InboundMessage, *, secret_key: str | None) -> Proof:
    """What `message` proves about its sender, on `inbox` (whose identity secret `secret_key` unseals)."""
    if message.sender_verified:
        social = SOCIAL_KINDS.get(inbox.channel)
        own = (Identifier(kind=social, value=message.source_id),) if social else ()
        return Proof(
            verified=True,
            identifiers=own
            + _identifiers(
                user_id=message.user_id,
                email=message.email,
                phone=message.phone,
                anonymous_id=message.anonymous_id,
            ),
            email=message.email,
        )
    signed = site_identity.signed_value(message.user_id, message.email)
    if signed is not None and _signed_by_site(inbox, signed, message.user_hash, secret_key):
        # Only the signed value is proven: an email sent along with a signed user id stays a claim.
        email = None if signed == (message.user_id or "").strip() else signed
        return Proof(
            verified=True,
            identifiers=_identifiers(
                user_id=signed if email is None else None, email=email, anonymous_id=message.anonymous_id
            ),
            email=email,
        )
    return Proof(verified=False, claimed_source=inbox.channel not in SIGNED_SOURCES)


def _signed_by_site(inbox: Inbox, value: str, user_hash: str | None, secret_key: str | None) -> bool:
    if not user_hash or not secret_key or not inbox.identity_secret:
        return False
    secret = unseal(secret_key, inbox.identity_secret, purpose=SEALING_PURPOSE)
    return secret is not None and site_identity.verify(secret, value, user_hash)


def _identifiers(
    *,
    user_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    anonymous_id: str | None = None,
) -> tuple[Identifier, ...]:
    given = (
        (IdentifierKind.USER_ID, user_id),
        (IdentifierKind.EMAIL, email),
        (IdentifierKind.PHONE, phone),
        (IdentifierKind.ANONYMOUS_ID, anonymous_id),
    )
    return tuple(Identifier(kind=kind, value=value) for kind, value in given if value)
