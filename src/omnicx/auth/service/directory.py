"""The auth domain's answer to the kernel's directory port (`omnicx.kernel.access.directory`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from omnicx.auth.schemas import UserPublic
from omnicx.auth.service.audit import record_audit
from omnicx.auth.service.members import member_of
from omnicx.auth.service.sessions import authenticate_session, authenticate_token
from omnicx.auth.service.teams import team_ids_of
from omnicx.auth.service.workspaces import get_workspace, get_workspace_by_slug, list_user_workspaces
from omnicx.kernel.access.directory import PageFrame
from omnicx.kernel.access.principal import Principal


class AuthDirectory:
    """Answers from the users, sessions, tokens, memberships, teams and audit tables."""

    def authenticate_token(self, session: Session, *, token: str, ip: str) -> Principal | None:
        return authenticate_token(session, token=token, ip=ip)

    def authenticate_session(
        self, session: Session, *, token: str, ip: str
    ) -> tuple[Principal, UserPublic] | None:
        return authenticate_session(session, token=token, ip=ip)

    def page_frame(self, session: Session, *, principal: Principal) -> PageFrame:
        workspace = get_workspace(session, workspace_id=principal.workspace_id)
        workspaces = list_user_workspaces(session, user_id=principal.user_id) if principal.user_id else []
        return PageFrame(workspace=workspace, timezone=workspace.timezone, workspaces=workspaces)

    def audience_tokens(self, session: Session, *, principal: Principal) -> frozenset[str]:
        member = member_of(session, principal=principal)
        if member is None:
            return frozenset()
        teams = team_ids_of(session, workspace_id=principal.workspace_id, member_id=member.id)
        return frozenset({f"member:{member.id}"} | {f"team:{team}" for team in teams})

    def workspace_id(self, session: Session, *, slug: str) -> uuid.UUID:
        return get_workspace_by_slug(session, slug=slug).id

    def record_audit(
        self,
        session: Session,
        *,
        workspace_id: uuid.UUID,
        principal: Principal | None,
        actor_label: str,
        action: str,
        target_type: str,
        target_id: str,
        detail: dict[str, Any],
    ) -> None:
        record_audit(
            session,
            workspace_id=workspace_id,
            principal=principal,
            actor_label=actor_label,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
        )


DIRECTORY = AuthDirectory()
