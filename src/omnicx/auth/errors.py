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


class InvitationNotFound(NotFound):
    """No pending invitation with this id in the caller's workspace (accepted and revoked ones are gone)."""

    code = "invitation_not_found"


class InvitationInvalid(NotFound):
    """An invitation link that no longer works: used, revoked, replaced by a newer one, or expired. One answer
    for all of them, so a link says nothing about the invitation it once was."""

    code = "invitation_invalid"


class InvitationForAnotherAccount(Forbidden):
    """The signed-in person is not the one invited: an invitation is accepted only by its address's owner."""

    code = "invitation_for_another_account"


class TooManyInvitations(RateLimited):
    """A workspace sent more invitation mails in the last hour than omnicx sends for one (a spam brake)."""

    code = "too_many_invitations"


class ResetLinkInvalid(NotFound):
    """A password reset link that no longer works: used, superseded by another reset, or expired."""

    code = "reset_link_invalid"
