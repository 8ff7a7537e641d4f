"""Sources and their write keys: created, rotated and revoked by people, presented by every tracking call.

A write key is a secret like a password: it is shown once, only its SHA-256 is stored, and its first
characters stay visible so a person can tell keys apart. Every change is audited.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import transaction_memo, utcnow
from omnicx.tracking.errors import DuplicateSource, InvalidWriteKey, SourceNotFound, SourceRevoked
from omnicx.tracking.models import Source, SourceKind
from omnicx.tracking.schemas import AuthenticatedSource, SourceCreate, SourcePublic, SourceWithKey
from omnicx.tracking.wire import WRITE_KEY_PREFIX

KEY_PREFIX = WRITE_KEY_PREFIX
SHOWN_PREFIX_CHARS = 12


def hash_write_key(write_key: str) -> str:
    return hashlib.sha256(write_key.encode("utf-8")).hexdigest()


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _audit(session: Session, source: Source, action: str, principal: Principal | None) -> None:
    auth_service.record_audit(
        session,
        workspace_id=source.workspace_id,
        principal=principal,
        actor_label="" if principal else "cli",
        action=action,
        target_type="source",
        target_id=str(source.id),
        detail={"name": source.name, "prefix": source.write_key_prefix},
    )


def create_source(
    session: Session, *, workspace_id: uuid.UUID, data: SourceCreate, principal: Principal | None = None
) -> SourceWithKey:
    """Create a source; its write key is returned here and nowhere else. Commits."""
    taken = session.scalar(
        select(Source.id).where(Source.workspace_id == workspace_id, Source.name == data.name)
    )
    if taken is not None:
        raise DuplicateSource(f"a source named {data.name!r} already exists")
    key = _new_key()
    source = Source(
        workspace_id=workspace_id,
        name=data.name,
        kind=data.kind,
        write_key_hash=hash_write_key(key),
        write_key_prefix=key[:SHOWN_PREFIX_CHARS],
    )
    session.add(source)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise DuplicateSource(f"a source named {data.name!r} already exists") from exc
    _audit(session, source, "source.created", principal)
    session.commit()
    return SourceWithKey(source=SourcePublic.model_validate(source), write_key=key)


def _load(session: Session, *, workspace_id: uuid.UUID, source_id: uuid.UUID) -> Source:
    source = session.scalar(select(Source).where(Source.id == source_id, Source.workspace_id == workspace_id))
    if source is None:
        raise SourceNotFound(f"source {source_id} not found")
    return source


def list_sources(session: Session, *, workspace_id: uuid.UUID) -> list[SourcePublic]:
    rows = session.scalars(
        select(Source).where(Source.workspace_id == workspace_id).order_by(Source.created_at)
    )
    return [SourcePublic.model_validate(s) for s in rows]


def get_source(session: Session, *, workspace_id: uuid.UUID, source_id: uuid.UUID) -> SourcePublic:
    return SourcePublic.model_validate(_load(session, workspace_id=workspace_id, source_id=source_id))


def find_source(session: Session, *, workspace_id: uuid.UUID, name: str) -> SourcePublic | None:
    row = session.scalar(select(Source).where(Source.workspace_id == workspace_id, Source.name == name))
    return SourcePublic.model_validate(row) if row is not None else None


def ensure_source(session: Session, *, workspace_id: uuid.UUID, name: str, kind: SourceKind) -> SourcePublic:
    """The source named `name`, created (with a key nobody will see) if missing: for imports. Commits."""
    found = find_source(session, workspace_id=workspace_id, name=name)
    if found is not None:
        return found
    return create_source(session, workspace_id=workspace_id, data=SourceCreate(name=name, kind=kind)).source


def rotate_source(
    session: Session, *, workspace_id: uuid.UUID, source_id: uuid.UUID, principal: Principal | None = None
) -> SourceWithKey:
    """Replace the write key: the old key stops working at once, the new one is shown once. Commits."""
    source = _load(session, workspace_id=workspace_id, source_id=source_id)
    if source.revoked_at is not None:
        raise SourceRevoked(f"source {source.name!r} is revoked; create a new source instead")
    key = _new_key()
    source.write_key_hash = hash_write_key(key)
    source.write_key_prefix = key[:SHOWN_PREFIX_CHARS]
    source.rotated_at = utcnow()
    _audit(session, source, "source.rotated", principal)
    session.commit()
    return SourceWithKey(source=SourcePublic.model_validate(source), write_key=key)


def revoke_source(
    session: Session, *, workspace_id: uuid.UUID, source_id: uuid.UUID, principal: Principal | None = None
) -> SourcePublic:
    """Refuse the source's key from now on (its stored events stay). Idempotent. Commits."""
    source = _load(session, workspace_id=workspace_id, source_id=source_id)
    if source.revoked_at is None:
        source.revoked_at = utcnow()
        _audit(session, source, "source.revoked", principal)
        session.commit()
    return SourcePublic.model_validate(source)


# Built once, as the other statements of the collection path: building a statement and its cache key cost more
# than running it.
_BY_KEY_HASH = select(Source.id, Source.workspace_id, Source.name, Source.revoked_at).where(
    Source.write_key_hash == bindparam("key_hash")
)
_SOURCES_KEY = "omnicx.tracking.sources"


def authenticate_write_key(session: Session, *, write_key: str | None) -> AuthenticatedSource:
    """The live source a write key belongs to, or InvalidWriteKey (unknown, revoked or missing).

    Looked up once per transaction and key: a group commit stores many requests of the same site in one."""
    if not write_key:
        raise InvalidWriteKey("a write key is required (HTTP Basic user name, or writeKey in the body)")
    known = transaction_memo(session, _SOURCES_KEY)
    key_hash = hash_write_key(write_key)
    if key_hash not in known:
        known[key_hash] = session.connection().execute(_BY_KEY_HASH, {"key_hash": key_hash}).first()
    row = known[key_hash]
    if row is None or row.revoked_at is not None:
        raise InvalidWriteKey("the write key is unknown or revoked")
    return AuthenticatedSource(id=row.id, workspace_id=row.workspace_id, name=row.name)
