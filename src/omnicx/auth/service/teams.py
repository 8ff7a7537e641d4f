"""Teams: groups of members that conversations and assignment rules can target."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth.errors import DuplicateTeam, MemberNotFound, TeamNotFound
from omnicx.auth.models import Membership, Team, TeamMember
from omnicx.auth.schemas import TeamCreate, TeamPublic, TeamUpdate
from omnicx.kernel.access.principal import Principal


def _load(session: Session, workspace_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    team = session.scalar(select(Team).where(Team.id == team_id, Team.workspace_id == workspace_id))
    if team is None:
        raise TeamNotFound(f"team {team_id} not found")
    return team


def _public(session: Session, team: Team) -> TeamPublic:
    member_ids = list(session.scalars(select(TeamMember.membership_id).where(TeamMember.team_id == team.id)))
    return TeamPublic(
        id=team.id,
        name=team.name,
        description=team.description,
        member_ids=member_ids,
        created_at=team.created_at,
    )


def _ensure_unique(
    session: Session, workspace_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
) -> None:
    stmt = select(Team.id).where(Team.workspace_id == workspace_id, Team.name == name)
    if exclude:
        stmt = stmt.where(Team.id != exclude)
    if session.scalar(stmt):
        raise DuplicateTeam(f"a team named {name!r} already exists")


def list_teams(session: Session, *, workspace_id: uuid.UUID) -> list[TeamPublic]:
    teams = session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.name))
    return [_public(session, t) for t in teams]


def team_ids_of(session: Session, *, workspace_id: uuid.UUID, member_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The teams one member belongs to (one query, not every team with its members)."""
    rows = session.scalars(
        select(TeamMember.team_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.workspace_id == workspace_id, TeamMember.membership_id == member_id)
    )
    return frozenset(rows)


def get_team(session: Session, *, workspace_id: uuid.UUID, team_id: uuid.UUID) -> TeamPublic:
    return _public(session, _load(session, workspace_id, team_id))


def create_team(session: Session, *, principal: Principal, data: TeamCreate) -> TeamPublic:
    _ensure_unique(session, principal.workspace_id, data.name)
    team = Team(workspace_id=principal.workspace_id, name=data.name, description=data.description)
    session.add(team)
    session.commit()
    return _public(session, team)


def update_team(
    session: Session, *, principal: Principal, team_id: uuid.UUID, data: TeamUpdate
) -> TeamPublic:
    team = _load(session, principal.workspace_id, team_id)
    if data.name is not None:
        _ensure_unique(session, principal.workspace_id, data.name, exclude=team.id)
        team.name = data.name
    if data.description is not None:
        team.description = data.description
    session.commit()
    return _public(session, team)


def delete_team(session: Session, *, principal: Principal, team_id: uuid.UUID) -> None:
    session.delete(_load(session, principal.workspace_id, team_id))
    session.commit()


def add_team_member(
    session: Session, *, principal: Principal, team_id: uuid.UUID, member_id: uuid.UUID
) -> TeamPublic:
    team = _load(session, principal.workspace_id, team_id)
    member = session.scalar(
        select(Membership).where(
            Membership.id == member_id, Membership.workspace_id == principal.workspace_id
        )
    )
    if member is None:
        raise MemberNotFound(f"member {member_id} not found")
    if session.get(TeamMember, (team.id, member.id)) is None:
        session.add(TeamMember(team_id=team.id, membership_id=member.id, workspace_id=principal.workspace_id))
    session.commit()
    return _public(session, team)


def remove_team_member(
    session: Session, *, principal: Principal, team_id: uuid.UUID, member_id: uuid.UUID
) -> TeamPublic:
    team = _load(session, principal.workspace_id, team_id)
    link = session.get(TeamMember, (team.id, member_id))
    if link is None:
        raise MemberNotFound(f"member {member_id} is not in this team")
    session.delete(link)
    session.commit()
    return _public(session, team)
