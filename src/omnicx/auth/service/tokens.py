"""API tokens: machine credentials scoped to one workspace and one role, stored hashed, shown once."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth.errors import RoleNotAssignable, TokenNotFound
from omnicx.auth.models import ApiToken
from omnicx.auth.schemas import TokenCreated, TokenPublic
from omnicx.auth.service.audit import record_audit
from omnicx.kernel.access.permissions import Role, assignable_roles
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import hash_token, new_token
from omnicx.kernel.db import utcnow


def create_token(
    session: Session, *, workspace_id: uuid.UUID, name: str, role: Role, principal: Principal | None = None
) -> TokenCreated:
    """Create a token; the secret is returned here and nowhere else (only its SHA-256 is stored)."""
    if principal is not None and role not in assignable_roles(principal.role):
        raise RoleNotAssignable(f"a {principal.role} cannot create a {role} token")
    secret = new_token()
    token = ApiToken(
        workspace_id=workspace_id,
        name=name,
        role=role,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_by_id=principal.user_id if principal else None,
    )
    session.add(token)
    session.flush()
    record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        actor_label="" if principal else "cli",
        action="token.created",
        target_type="token",
        target_id=str(token.id),
        detail={"name": name, "role": role.value},
    )
    session.commit()
    return TokenCreated(token=TokenPublic.model_validate(token), secret=secret)


def list_tokens(session: Session, *, workspace_id: uuid.UUID) -> list[TokenPublic]:
    rows = session.scalars(
        select(ApiToken).where(ApiToken.workspace_id == workspace_id).order_by(ApiToken.created_at.desc())
    )
    return [TokenPublic.model_validate(t) for t in rows]


def revoke_token(session: Session, *, principal: Principal, token_id: uuid.UUID) -> TokenPublic:
    token = session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.workspace_id == principal.workspace_id)
    )
    if token is None:
        raise TokenNotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_audit(
            session,
            workspace_id=principal.workspace_id,
            principal=principal,
            action="token.revoked",
            target_type="token",
            target_id=str(token.id),
            detail={"name": token.name},
        )
        session.commit()
    return TokenPublic.model_validate(token)
