"""Claims and their proofs: a code sent to an address, or a TXT record at a domain.

The rules:
- An identifier has at most one owner: the workspace whose claim on it, or on an identifier covering it (an
  address's domain), is proven. Proving is refused when another workspace already owns the identifier, owns
  its domain, or (for a domain) owns an address at it; the refusal (`Unavailable`) never says which.
- Many workspaces may claim the same identifier while none has proven it; a pending claim gives nothing.
- A code is 6 digits, valid 30 minutes, void after 5 wrong tries; codes are sent at most once a minute and 5
  times a day per claim, 30 times an hour per workspace. The code is derived from a nonce with the server's
  secret: it is stored nowhere.
- A domain is proven by the TXT record `omnicx-verification=<token>` at the domain itself, read through the
  resolver the caller hands in (the runtime's, or the demo's and the tests' own records).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.dns import DnsUnavailable, RecordType, Resolver
from omnicx.kernel.jobs import service as jobs
from omnicx.ownership.enums import ClaimKind, ClaimStatus, ProofMethod
from omnicx.ownership.errors import (
    ClaimNotFound,
    InvalidIdentifier,
    NotProven,
    TooManyCodes,
    Unavailable,
    WrongCode,
)
from omnicx.ownership.identifiers import code_for, covering, dns_record, normalise, same_code, scope_of
from omnicx.ownership.models import OwnershipClaim
from omnicx.ownership.schemas import ClaimPublic, CodeDelivery

SEND_CODE_JOB = "ownership.send_code"
CODE_TTL = timedelta(minutes=30)
RESEND_AFTER = timedelta(seconds=60)
CODES_PER_DAY = 5
WORKSPACE_CODES_PER_HOUR = 30
MAX_WRONG_CODES = 5
UNAVAILABLE = "This address or domain cannot be verified for this workspace."


def _public(claim: OwnershipClaim) -> ClaimPublic:
    is_domain = claim.kind is ClaimKind.EMAIL_DOMAIN
    return ClaimPublic(
        id=claim.id,
        kind=claim.kind,
        value=claim.value,
        status=ClaimStatus.VERIFIED if claim.owned_value is not None else ClaimStatus.PENDING,
        method=claim.method,
        dns_name=claim.value if is_domain else None,
        dns_record=dns_record(claim.token) if is_domain else None,
        code_sent_at=claim.code_sent_at,
        code_expires_at=claim.code_expires_at,
        verified_at=claim.verified_at,
        verified_by=claim.verified_by,
        created_at=claim.created_at,
    )


def _normal(kind: ClaimKind, value: str) -> str:
    normal = normalise(kind, value)
    if normal is None:
        what = "an email address" if kind is ClaimKind.EMAIL_ADDRESS else "a domain name"
        raise InvalidIdentifier(f"{value!r} is not {what}")
    return normal


def _lock(session: Session, scope: str) -> None:
    """Serialise proofs under one domain (PostgreSQL; SQLite's writers already take turns), so an address and
    its domain can never be proven by two workspaces at the same moment."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"ownership:{scope}"})


def _owned_elsewhere(session: Session, *, workspace_id: uuid.UUID, kind: ClaimKind, value: str) -> bool:
    """Whether another workspace owns `value`, what covers it, or (a domain) anything under it."""
    matches = [
        and_(OwnershipClaim.kind == k, OwnershipClaim.owned_value == v) for k, v in covering(kind, value)
    ]
    if kind is ClaimKind.EMAIL_DOMAIN:
        matches.append(and_(OwnershipClaim.scope == value, OwnershipClaim.owned_value.is_not(None)))
    found = session.scalar(
        select(OwnershipClaim.id).where(OwnershipClaim.workspace_id != workspace_id, or_(*matches)).limit(1)
    )
    return found is not None


def owner(session: Session, *, kind: ClaimKind, value: str) -> uuid.UUID | None:
    """The workspace that has proven `value` (or what covers it: an address's domain), or None."""
    normal = normalise(kind, value)
    if normal is None:
        return None
    for k, v in covering(kind, normal):
        found = session.scalar(
            select(OwnershipClaim.workspace_id).where(
                OwnershipClaim.kind == k, OwnershipClaim.owned_value == v
            )
        )
        if found is not None:
            return found
    return None


def owns(session: Session, *, workspace_id: uuid.UUID, kind: ClaimKind, value: str) -> bool:
    return owner(session, kind=kind, value=value) == workspace_id


def _load(session: Session, *, workspace_id: uuid.UUID, claim_id: uuid.UUID) -> OwnershipClaim:
    claim = session.scalar(
        select(OwnershipClaim).where(
            OwnershipClaim.id == claim_id, OwnershipClaim.workspace_id == workspace_id
        )
    )
    if claim is None:
        raise ClaimNotFound(f"claim {claim_id} not found")
    return claim


def _audit(session: Session, principal: Principal, action: str, claim: OwnershipClaim, **detail: str) -> None:
    auth_service.record_audit(
        session,
        workspace_id=claim.workspace_id,
        principal=principal,
        action=action,
        target_type="ownership_claim",
        target_id=str(claim.id),
        detail={"kind": claim.kind.value, "value": claim.value, **detail},
    )


def _issue_code(
    session: Session, claim: OwnershipClaim, principal: Principal, now: datetime, *, quiet_if_fresh: bool
) -> None:
    """Send a new code for an address claim (queued: the channel mails it). Rate-limited (`TooManyCodes`);
    with `quiet_if_fresh`, a code sent under a minute ago that is still valid is left as it is."""
    if claim.code_sent_at is not None and now - claim.code_sent_at < RESEND_AFTER:
        if quiet_if_fresh:
            return
        raise TooManyCodes("a code was sent less than a minute ago; wait before asking for another")
    if claim.codes_window_at is None or now - claim.codes_window_at >= timedelta(days=1):
        claim.codes_window_at, claim.codes_sent = now, 0
    if claim.codes_sent >= CODES_PER_DAY:
        raise TooManyCodes("too many codes were sent to this address today; try again tomorrow")
    sent_last_hour = session.scalar(
        select(func.count(OwnershipClaim.id)).where(
            OwnershipClaim.workspace_id == claim.workspace_id,
            OwnershipClaim.code_sent_at >= now - timedelta(hours=1),
        )
    )
    if (sent_last_hour or 0) >= WORKSPACE_CODES_PER_HOUR:
        raise TooManyCodes("this workspace asked for too many codes in the last hour; try again later")
    claim.token = secrets.token_hex(16)
    claim.code_sent_at, claim.code_expires_at = now, now + CODE_TTL
    claim.failed_attempts = 0
    claim.codes_sent += 1
    session.flush()
    jobs.enqueue(
        session,
        kind=SEND_CODE_JOB,
        payload={"claim_id": str(claim.id), "nonce": claim.token},
        workspace_id=claim.workspace_id,
        idempotency_key=f"{claim.id}:{claim.token}",
        max_attempts=5,
    )
    _audit(session, principal, "ownership.code_sent", claim)


def open_claim(
    session: Session, *, principal: Principal, kind: ClaimKind, value: str, now: datetime | None = None
) -> ClaimPublic:
    """Claim `value` for the caller's workspace in the caller's transaction (not committed): an address is
    sent a code (unless one was just sent), a domain gets the token to publish. Claiming again returns the
    same claim. Raises `Unavailable` when another workspace owns it, `InvalidIdentifier`, `TooManyCodes`."""
    now = now or utcnow()
    normal = _normal(kind, value)
    _lock(session, scope_of(kind, normal))
    if _owned_elsewhere(session, workspace_id=principal.workspace_id, kind=kind, value=normal):
        raise Unavailable(UNAVAILABLE)
    claim = session.scalar(
        select(OwnershipClaim).where(
            OwnershipClaim.workspace_id == principal.workspace_id,
            OwnershipClaim.kind == kind,
            OwnershipClaim.value == normal,
        )
    )
    if claim is None:
        claim = OwnershipClaim(
            workspace_id=principal.workspace_id,
            kind=kind,
            value=normal,
            scope=scope_of(kind, normal),
            token=secrets.token_urlsafe(24) if kind is ClaimKind.EMAIL_DOMAIN else "",
            failed_attempts=0,
            codes_sent=0,
            verified_by="",
        )
        session.add(claim)
        session.flush()
        _audit(session, principal, "ownership.claimed", claim)
    if claim.owned_value is None and kind is ClaimKind.EMAIL_ADDRESS:
        _issue_code(session, claim, principal, now, quiet_if_fresh=True)
    return _public(claim)


def start_claim(
    session: Session, *, principal: Principal, kind: ClaimKind, value: str, now: datetime | None = None
) -> ClaimPublic:
    """`open_claim`, committed."""
    claim = open_claim(session, principal=principal, kind=kind, value=value, now=now)
    session.commit()
    return claim


def resend_code(
    session: Session, *, principal: Principal, claim_id: uuid.UUID, now: datetime | None = None
) -> ClaimPublic:
    """Send a new code to a pending address claim (the previous code stops working). Committed."""
    claim = _load(session, workspace_id=principal.workspace_id, claim_id=claim_id)
    if claim.owned_value is not None:
        return _public(claim)
    if claim.kind is not ClaimKind.EMAIL_ADDRESS:
        raise NotProven("a domain is proven by its DNS record, not by a code")
    if _owned_elsewhere(session, workspace_id=claim.workspace_id, kind=claim.kind, value=claim.value):
        raise Unavailable(UNAVAILABLE)
    _issue_code(session, claim, principal, now or utcnow(), quiet_if_fresh=False)
    session.commit()
    return _public(claim)


def _prove(
    session: Session, claim: OwnershipClaim, method: ProofMethod, principal: Principal, now: datetime
) -> ClaimPublic:
    _lock(session, claim.scope)
    if _owned_elsewhere(session, workspace_id=claim.workspace_id, kind=claim.kind, value=claim.value):
        raise Unavailable(UNAVAILABLE)
    claim.owned_value = claim.value
    claim.method = method
    claim.verified_at = now
    claim.verified_by = principal.label
    claim.code_expires_at = None
    _audit(session, principal, "ownership.verified", claim, method=method.value)
    try:
        session.commit()
    except IntegrityError:  # proven by another workspace in the same instant
        session.rollback()
        raise Unavailable(UNAVAILABLE) from None
    return _public(claim)


def confirm_code(
    session: Session,
    *,
    principal: Principal,
    claim_id: uuid.UUID,
    code: str,
    secret: str,
    now: datetime | None = None,
) -> ClaimPublic:
    """Prove an address with the code sent to it; `secret` is the server's secret key. Committed (a wrong
    code is counted, and committed, before `WrongCode` is raised)."""
    now = now or utcnow()
    claim = _load(session, workspace_id=principal.workspace_id, claim_id=claim_id)
    if claim.owned_value is not None:
        return _public(claim)
    if claim.kind is not ClaimKind.EMAIL_ADDRESS:
        raise NotProven("a domain is proven by its DNS record, not by a code")
    usable = (
        claim.token
        and claim.code_expires_at is not None
        and now < claim.code_expires_at
        and claim.failed_attempts < MAX_WRONG_CODES
    )
    if not usable or not same_code(code_for(secret, str(claim.id), claim.token), code):
        claim.failed_attempts += 1
        session.commit()
        raise WrongCode("the code is wrong or no longer valid; ask for a new one if needed")
    return _prove(session, claim, ProofMethod.CODE, principal, now)


def check_dns(
    session: Session,
    *,
    principal: Principal,
    claim_id: uuid.UUID,
    resolver: Resolver,
    now: datetime | None = None,
) -> ClaimPublic:
    """Prove a domain by its TXT record `omnicx-verification=<token>`, asked of `resolver`. Committed."""
    claim = _load(session, workspace_id=principal.workspace_id, claim_id=claim_id)
    if claim.owned_value is not None:
        return _public(claim)
    if claim.kind is not ClaimKind.EMAIL_DOMAIN:
        raise NotProven("an address is proven by the code sent to it; prove its whole domain by DNS instead")
    expected = dns_record(claim.token)
    try:
        records = resolver.lookup(claim.value, RecordType.TXT)
    except DnsUnavailable:
        raise NotProven("DNS did not answer; try again in a moment") from None
    if expected not in (r.strip() for r in records):
        raise NotProven(f"no TXT record {expected!r} found at {claim.value} yet")
    return _prove(session, claim, ProofMethod.DNS, principal, now or utcnow())


def list_claims(session: Session, *, workspace_id: uuid.UUID) -> list[ClaimPublic]:
    rows = session.scalars(
        select(OwnershipClaim)
        .where(OwnershipClaim.workspace_id == workspace_id)
        .order_by(OwnershipClaim.kind, OwnershipClaim.value)
    )
    return [_public(r) for r in rows]


def get_claim(session: Session, *, workspace_id: uuid.UUID, claim_id: uuid.UUID) -> ClaimPublic:
    return _public(_load(session, workspace_id=workspace_id, claim_id=claim_id))


def find_claim(
    session: Session, *, workspace_id: uuid.UUID, kind: ClaimKind, value: str
) -> ClaimPublic | None:
    """The workspace's own claim on `value`, if it made one."""
    normal = normalise(kind, value)
    claim = session.scalar(
        select(OwnershipClaim).where(
            OwnershipClaim.workspace_id == workspace_id,
            OwnershipClaim.kind == kind,
            OwnershipClaim.value == normal,
        )
    )
    return _public(claim) if claim is not None else None


def code_delivery(
    session: Session, *, claim_id: uuid.UUID, nonce: str, secret: str, now: datetime | None = None
) -> CodeDelivery | None:
    """What to mail for the code issued as `nonce`; None when that code is no longer the claim's current one
    (another was sent since, it expired, or the claim was proven): nothing to send then."""
    claim = session.get(OwnershipClaim, claim_id)
    now = now or utcnow()
    if (
        claim is None
        or claim.owned_value is not None
        or claim.token != nonce
        or claim.code_expires_at is None
        or now >= claim.code_expires_at
    ):
        return None
    workspace = auth_service.get_workspace(session, workspace_id=claim.workspace_id)
    return CodeDelivery(
        claim_id=claim.id,
        kind=claim.kind,
        to=claim.value,
        code=code_for(secret, str(claim.id), nonce),
        expires_at=claim.code_expires_at,
        workspace_name=workspace.name,
    )
