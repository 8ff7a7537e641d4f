"""Inboxes (one per channel account), their identity secrets (chat), and SLA policies.

An email inbox receives only at an address its workspace has proven (`omnicx.ownership`: a code mailed to the
address, or a DNS record for its whole domain). Creating one at an unproven address creates it unverified and
mails the code; until the proof, `find_inbox` (inbound routing) does not see it. An address proven by another
workspace cannot be used, and an address held by another workspace's inbox can be taken only by a workspace
that has proven it (the unverified inbox, which never received anything, is released). Every refusal to
another workspace's address is the same `AddressUnavailable`, naming nothing.
"""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import site_identity
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.errors import AddressUnavailable, DuplicateInbox, DuplicateSlaPolicy, InboxNotFound
from omnicx.inbox.models import Contact, Inbox, SlaPolicy
from omnicx.inbox.schemas import (
    IdentitySecretPublic,
    InboxCreate,
    InboxPublic,
    SlaPolicyCreate,
    SlaPolicyPublic,
)
from omnicx.inbox.service.claims import SEALING_PURPOSE
from omnicx.inbox.service.providers import (
    Connection,
    ProvenAccount,
    provider_for,
    public_inbox,
    seal_credentials,
)
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.sealing import seal, unseal
from omnicx.kernel.errors import Invalid
from omnicx.ownership import service as ownership_service
from omnicx.ownership.enums import ClaimKind

UNAVAILABLE = (
    "This address cannot be used for an inbox in this workspace. If it is yours, verify it under "
    "Settings → Verified addresses first."
)


def normalise_address(channel: MessagingChannel, address: str) -> str:
    return address.strip().lower() if channel is MessagingChannel.EMAIL else address.strip()


def load_inbox(session: Session, *, workspace_id: uuid.UUID, inbox_id: uuid.UUID) -> Inbox:
    inbox = session.scalar(select(Inbox).where(Inbox.id == inbox_id, Inbox.workspace_id == workspace_id))
    if inbox is None:
        raise InboxNotFound(f"inbox {inbox_id} not found")
    return inbox


def create_inbox(
    session: Session, *, principal: Principal, data: InboxCreate, secret_key: str, base_url: str | None = None
) -> InboxPublic:
    """Create an inbox; chat inboxes get a public widget token as their address and an identity secret (sealed
    under the server's `secret_key`) for their website to sign its signed-in visitors with. A provider
    channel's account is proven with the provider first (before anything is written: the check waits on the
    network) and its credentials kept sealed; a provider told where to call back (Telegram) is told so once
    the address is known to be free, at the server's public `base_url`. Audited, committed."""
    if data.channel is MessagingChannel.EMAIL and not data.address:
        raise Invalid("an email inbox needs its address")
    proven = _prove_account(data)
    address = proven.address if proven else data.address or f"chat_{secrets.token_urlsafe(18)}"
    address = normalise_address(data.channel, address)
    if data.team_id is not None:
        auth_service.get_team(session, workspace_id=principal.workspace_id, team_id=data.team_id)
    email = data.channel is MessagingChannel.EMAIL
    owner = ownership_service.owner(session, kind=ClaimKind.EMAIL_ADDRESS, value=address) if email else None
    if owner is not None and owner != principal.workspace_id:
        raise AddressUnavailable(UNAVAILABLE)
    holder = session.scalar(select(Inbox).where(Inbox.channel == data.channel, Inbox.address == address))
    if holder is not None:
        if holder.workspace_id == principal.workspace_id:
            raise DuplicateInbox(f"an inbox of this workspace already receives at {address}")
        if not (email and owner == principal.workspace_id and _release(session, holder)):
            raise AddressUnavailable(UNAVAILABLE)
    inbox_id = uuid.uuid4()
    if proven is not None:
        proven = _connect(data.channel, Connection(inbox_id=inbox_id, base_url=base_url, account=proven))
    inbox = Inbox(
        id=inbox_id,
        workspace_id=principal.workspace_id,
        channel=data.channel,
        name=data.name,
        address=address,
        reopen_window_hours=data.reopen_window_hours,
        auto_assign=data.auto_assign,
        assignment_capacity=data.assignment_capacity,
        team_id=data.team_id,
        identity_secret=_new_identity_secret(secret_key) if data.channel is MessagingChannel.CHAT else None,
        credentials=seal_credentials(secret_key, proven.credentials) if proven else None,
    )
    session.add(inbox)
    session.flush()
    if email and owner is None:
        ownership_service.open_claim(
            session, principal=principal, kind=ClaimKind.EMAIL_ADDRESS, value=address
        )
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="inbox.created",
        target_type="inbox",
        target_id=str(inbox.id),
        detail={"channel": data.channel.value, "address": address},
    )
    session.commit()
    return public_inbox(inbox)


def _prove_account(data: InboxCreate) -> ProvenAccount | None:
    provider = provider_for(data.channel)
    if provider is None:
        if data.credentials:
            raise Invalid(f"a {data.channel.value} inbox takes no credentials")
        return None
    if not data.address:
        raise Invalid(f"a {data.channel.value} inbox needs its address (the account's number)")
    return provider.check(data.address, dict(data.credentials or {}))


def _connect(channel: MessagingChannel, connection: Connection) -> ProvenAccount:
    provider = provider_for(channel)
    if provider is None or provider.connect is None:
        return connection.account
    return provider.connect(connection)


def _release(session: Session, holder: Inbox) -> bool:
    """Release another workspace's unverified email inbox from an address the caller has proven, if it never
    received anything (an unverified inbox cannot); audited in its workspace, without naming the caller."""
    if session.scalar(select(exists().where(Contact.inbox_id == holder.id))):
        return False
    auth_service.record_audit(
        session,
        workspace_id=holder.workspace_id,
        action="inbox.released",
        actor_label="system",
        target_type="inbox",
        target_id=str(holder.id),
        detail={"address": holder.address, "reason": "the address was proven by another workspace"},
    )
    session.delete(holder)
    session.flush()
    return True


def receives(session: Session, inbox: Inbox) -> bool:
    """Whether mail to the inbox reaches it: always for chat, for email once its workspace proved the address."""
    if inbox.channel is not MessagingChannel.EMAIL:
        return True
    return ownership_service.owns(
        session, workspace_id=inbox.workspace_id, kind=ClaimKind.EMAIL_ADDRESS, value=inbox.address
    )


def receiving_inboxes(session: Session, *, workspace_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of the workspace's inboxes that receive (email inboxes wait for their address's proof)."""
    rows = session.scalars(select(Inbox).where(Inbox.workspace_id == workspace_id))
    return [inbox.id for inbox in rows if receives(session, inbox)]


def _new_identity_secret(secret_key: str) -> str:
    return seal(secret_key, site_identity.new_secret(), purpose=SEALING_PURPOSE)


def _chat_inbox(session: Session, workspace_id: uuid.UUID, inbox_id: uuid.UUID) -> Inbox:
    inbox = load_inbox(session, workspace_id=workspace_id, inbox_id=inbox_id)
    if inbox.channel is not MessagingChannel.CHAT:
        raise Invalid("only chat inboxes verify their website's signed identities")
    return inbox


def get_identity_secret(
    session: Session, *, workspace_id: uuid.UUID, inbox_id: uuid.UUID, secret_key: str
) -> IdentitySecretPublic:
    """A chat inbox's identity secret in clear, for the managers who configure their website's back end."""
    inbox = _chat_inbox(session, workspace_id, inbox_id)
    sealed = inbox.identity_secret
    secret = unseal(secret_key, sealed, purpose=SEALING_PURPOSE) if sealed else None
    return IdentitySecretPublic(inbox_id=inbox.id, secret=secret)


def rotate_identity_secret(
    session: Session, *, principal: Principal, inbox_id: uuid.UUID, secret_key: str
) -> IdentitySecretPublic:
    """Give a chat inbox a new identity secret (the first, or instead of a leaked one: hashes signed with the
    old one stop verifying at once). Audited without the secret; committed."""
    inbox = _chat_inbox(session, principal.workspace_id, inbox_id)
    secret = site_identity.new_secret()
    replaced = inbox.identity_secret is not None
    inbox.identity_secret = seal(secret_key, secret, purpose=SEALING_PURPOSE)
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="inbox.identity_secret_rotated",
        target_type="inbox",
        target_id=str(inbox.id),
        detail={"replaced": replaced},
    )
    session.commit()
    return IdentitySecretPublic(inbox_id=inbox.id, secret=secret)


def list_inboxes(session: Session, *, workspace_id: uuid.UUID) -> list[InboxPublic]:
    rows = session.scalars(select(Inbox).where(Inbox.workspace_id == workspace_id).order_by(Inbox.name))
    return [public_inbox(r) for r in rows]


def get_inbox(session: Session, *, workspace_id: uuid.UUID, inbox_id: uuid.UUID) -> InboxPublic:
    return public_inbox(load_inbox(session, workspace_id=workspace_id, inbox_id=inbox_id))


def find_inbox(session: Session, *, channel: MessagingChannel, address: str) -> InboxPublic | None:
    """The inbox receiving at `address` on `channel`, whatever its workspace (inbound routing: an SMTP
    recipient, a widget token). Returns None when nobody receives there, which includes an email inbox whose
    workspace has not proven the address: routing mail to a workspace must go through here."""
    inbox = session.scalar(
        select(Inbox).where(Inbox.channel == channel, Inbox.address == normalise_address(channel, address))
    )
    if inbox is None or not receives(session, inbox):
        return None
    return public_inbox(inbox)


def create_sla_policy(
    session: Session, *, principal: Principal, data: SlaPolicyCreate, inbox_ids: list[uuid.UUID] | None = None
) -> SlaPolicyPublic:
    """Create a policy and apply it to `inbox_ids` (their new conversations' clocks follow it). Committed."""
    taken = session.scalar(
        select(SlaPolicy.id).where(
            SlaPolicy.workspace_id == principal.workspace_id, SlaPolicy.name == data.name
        )
    )
    if taken is not None:
        raise DuplicateSlaPolicy(f"an SLA policy named {data.name!r} already exists")
    policy = SlaPolicy(
        workspace_id=principal.workspace_id,
        name=data.name,
        first_response_minutes=data.first_response_minutes,
        next_response_minutes=data.next_response_minutes,
        resolution_minutes=data.resolution_minutes,
        business_hours={k: [list(i) for i in v] for k, v in data.business_hours.items()},
        holidays={"dates": list(data.holidays)},
    )
    session.add(policy)
    session.flush()
    for inbox_id in [*data.inbox_ids, *(inbox_ids or [])]:
        inbox = session.scalar(
            select(Inbox).where(Inbox.id == inbox_id, Inbox.workspace_id == principal.workspace_id)
        )
        if inbox is None:
            raise InboxNotFound(f"inbox {inbox_id} not found")
        inbox.sla_policy_id = policy.id
    session.commit()
    return SlaPolicyPublic.model_validate(policy)
