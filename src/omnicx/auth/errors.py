"""Errors of the auth domain, each with a stable code clients can rely on."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized


class InvalidCredentials(Unauthorized):
    """Email or password is wrong (deliberately not saying which)."""

    code = "invalid_credentials"


class AccountLocked(RateLimited):
    """Too many failed sign-ins for this account or address; sign-in is refused until the lockout ends."""

    code = "account_locked"


class WorkspaceNotFound(NotFound):
    code = "workspace_not_found"


class MemberNotFound(NotFound):
    code = "member_not_found"


class TeamNotFound(NotFound):
    code = "team_not_found"


class TokenNotFound(NotFound):
    code = "token_not_found"


class DuplicateWorkspace(Conflict):
    code = "workspace_exists"


class DuplicateMember(Conflict):
    code = "member_exists"


class DuplicateTeam(Conflict):
    code = "team_exists"


class LastOwner(Invalid):
    """A workspace must always keep at least one owner."""

    code = "last_owner"


class RoleNotAssignable(Forbidden):
    """Nobody can grant a role above their own."""

    code = "role_not_assignable"
