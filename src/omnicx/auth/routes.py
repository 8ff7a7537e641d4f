"""REST API of the auth domain under /api/v1: the caller, members and invitations, teams, tokens, the audit log,
and the two public endpoints of a password reset."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from omnicx.auth import service
from omnicx.auth.schemas import (
    AuditPublic,
    InvitationCreate,
    InvitationPublic,
    MemberPublic,
    MemberUpdate,
    MePublic,
    PasswordChange,
    PasswordChanged,
    PasswordResetConfirm,
    PasswordResetRequest,
    PasswordResetRequested,
    TeamCreate,
    TeamMemberAdd,
    TeamPublic,
    TeamUpdate,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserPublic,
)
from omnicx.kernel.access.permissions import PERMISSIONS, Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SESSION_COOKIE, SessionDep, SettingsDep, client_ip, require
from omnicx.kernel.web.limits import per_address_limit
from omnicx.kernel.web.schemas import ERROR_RESPONSES, Page

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.MEMBERS_READ)]
MemberManager = Annotated[Principal, require(Action.MEMBERS_MANAGE)]
TeamManager = Annotated[Principal, require(Action.TEAMS_MANAGE)]
TokenManager = Annotated[Principal, require(Action.TOKENS_MANAGE)]
AuditReader = Annotated[Principal, require(Action.AUDIT_READ)]
Anyone = Annotated[Principal, require(Action.OVERVIEW_READ)]
OwnAccount = Annotated[Principal, require(Action.OWN_ACCOUNT)]


@router.get("/me", response_model=MePublic)
def me(session: SessionDep, principal: Anyone) -> MePublic:
    """Who the credentials belong to, in which workspace, and what they may do."""
    member = service.member_of(session, principal=principal)
    user = (
        UserPublic(id=member.user_id, email=member.email, name=member.name, language=None) if member else None
    )
    return MePublic(
        user=user,
        workspace=service.get_workspace(session, workspace_id=principal.workspace_id),
        role=principal.role,
        actions=sorted(a.value for a in PERMISSIONS[principal.role]),
    )


@router.post("/me/password", response_model=PasswordChanged)
def change_password(
    request: Request, data: PasswordChange, session: SessionDep, principal: OwnAccount
) -> PasswordChanged:
    """Change the signed-in person's own password; their other browser sessions end (API tokens are unaffected:
    revoke them under Settings → API tokens)."""
    ended = service.change_password(
        session,
        principal=principal,
        current_session_token=request.cookies.get(SESSION_COOKIE),
        current_password=data.current_password,
        new_password=data.new_password,
    )
    return PasswordChanged(sessions_ended=ended)


@router.get("/members", response_model=list[MemberPublic])
def list_members(session: SessionDep, principal: Reader) -> list[MemberPublic]:
    return service.list_members(session, workspace_id=principal.workspace_id)


@router.patch("/members/{member_id}", response_model=MemberPublic)
def change_role(
    member_id: uuid.UUID, data: MemberUpdate, session: SessionDep, principal: MemberManager
) -> MemberPublic:
    return service.change_role(session, principal=principal, member_id=member_id, role=data.role)


@router.delete("/members/{member_id}", status_code=204)
def remove_member(member_id: uuid.UUID, session: SessionDep, principal: MemberManager) -> Response:
    service.remove_member(session, principal=principal, member_id=member_id)
    return Response(status_code=204)


@router.get("/invitations", response_model=list[InvitationPublic])
def list_invitations(session: SessionDep, principal: Reader) -> list[InvitationPublic]:
    """Invitations neither accepted nor withdrawn (expired ones too: they can be sent again)."""
    return service.list_invitations(session, workspace_id=principal.workspace_id)


@router.post("/invitations", response_model=InvitationPublic, status_code=201)
def invite_member(
    data: InvitationCreate, session: SessionDep, settings: SettingsDep, principal: MemberManager
) -> InvitationPublic:
    """Invite an address with a role; it is mailed a link and becomes a member when it accepts. The answer is
    the same whether or not the address has an account; only an address already a member of this workspace
    is refused (`member_exists`)."""
    return service.invite_member(session, principal=principal, data=data, secret=settings.resolved_secret_key)


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationPublic)
def resend_invitation(
    invitation_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: MemberManager
) -> InvitationPublic:
    """Mail the invitation again with a new link (the previous one stops working), valid 7 days."""
    return service.resend_invitation(
        session, principal=principal, invitation_id=invitation_id, secret=settings.resolved_secret_key
    )


@router.delete("/invitations/{invitation_id}", status_code=204)
def revoke_invitation(invitation_id: uuid.UUID, session: SessionDep, principal: MemberManager) -> Response:
    """Withdraw a pending invitation: its link stops working."""
    service.revoke_invitation(session, principal=principal, invitation_id=invitation_id)
    return Response(status_code=204)


@router.post(
    "/password-reset",
    response_model=PasswordResetRequested,
    status_code=202,
    dependencies=[per_address_limit("account_links")],
)
def request_password_reset(
    request: Request, data: PasswordResetRequest, session: SessionDep, settings: SettingsDep
) -> PasswordResetRequested:
    """Public. Mail a link to set a new password to the account of `email`, if there is one. The answer is the
    same for every address."""
    service.request_password_reset(
        session, email=data.email, secret=settings.resolved_secret_key, ip=client_ip(request)
    )
    return PasswordResetRequested(message=service.RESET_REQUESTED)


@router.post(
    "/password-reset/confirm",
    response_model=PasswordChanged,
    dependencies=[per_address_limit("account_links")],
)
def reset_password(request: Request, data: PasswordResetConfirm, session: SessionDep) -> PasswordChanged:
    """Public. Set a new password with the token of a reset link (once); every session of the person ends."""
    ended = service.reset_password(
        session, token=data.token, new_password=data.new_password, ip=client_ip(request)
    )
    return PasswordChanged(sessions_ended=ended)


@router.get("/teams", response_model=list[TeamPublic])
def list_teams(session: SessionDep, principal: Reader) -> list[TeamPublic]:
    return service.list_teams(session, workspace_id=principal.workspace_id)


@router.post("/teams", response_model=TeamPublic, status_code=201)
def create_team(data: TeamCreate, session: SessionDep, principal: TeamManager) -> TeamPublic:
    return service.create_team(session, principal=principal, data=data)


@router.get("/teams/{team_id}", response_model=TeamPublic)
def get_team(team_id: uuid.UUID, session: SessionDep, principal: Reader) -> TeamPublic:
    return service.get_team(session, workspace_id=principal.workspace_id, team_id=team_id)


@router.patch("/teams/{team_id}", response_model=TeamPublic)
def update_team(
    team_id: uuid.UUID, data: TeamUpdate, session: SessionDep, principal: TeamManager
) -> TeamPublic:
    return service.update_team(session, principal=principal, team_id=team_id, data=data)


@router.delete("/teams/{team_id}", status_code=204)
def delete_team(team_id: uuid.UUID, session: SessionDep, principal: TeamManager) -> Response:
    service.delete_team(session, principal=principal, team_id=team_id)
    return Response(status_code=204)


@router.post("/teams/{team_id}/members", response_model=TeamPublic)
def add_team_member(
    team_id: uuid.UUID, data: TeamMemberAdd, session: SessionDep, principal: TeamManager
) -> TeamPublic:
    return service.add_team_member(session, principal=principal, team_id=team_id, member_id=data.member_id)


@router.delete("/teams/{team_id}/members/{member_id}", response_model=TeamPublic)
def remove_team_member(
    team_id: uuid.UUID, member_id: uuid.UUID, session: SessionDep, principal: TeamManager
) -> TeamPublic:
    return service.remove_team_member(session, principal=principal, team_id=team_id, member_id=member_id)


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(session: SessionDep, principal: TokenManager) -> list[TokenPublic]:
    return service.list_tokens(session, workspace_id=principal.workspace_id)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(data: TokenCreate, session: SessionDep, principal: TokenManager) -> TokenCreated:
    """Create a token; the `secret` in the answer is shown this once and cannot be read again."""
    return service.create_token(
        session, workspace_id=principal.workspace_id, name=data.name, role=data.role, principal=principal
    )


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: uuid.UUID, session: SessionDep, principal: TokenManager) -> TokenPublic:
    return service.revoke_token(session, principal=principal, token_id=token_id)


@router.get("/audit", response_model=Page[AuditPublic])
def list_audit(
    session: SessionDep,
    principal: AuditReader,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_.]*$")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AuditPublic]:
    return service.list_audit(
        session, workspace_id=principal.workspace_id, action=action, offset=offset, limit=limit
    )
