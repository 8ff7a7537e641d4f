"""Public face of the auth domain. Other domains import from here only."""

from omnicx.auth.service.audit import list_audit, record_audit
from omnicx.auth.service.directory import DIRECTORY
from omnicx.auth.service.members import add_member, change_role, list_members, member_of, remove_member
from omnicx.auth.service.passwords import change_password, set_user_password
from omnicx.auth.service.sessions import (
    authenticate_session,
    authenticate_token,
    sign_in,
    sign_out,
    switch_workspace,
)
from omnicx.auth.service.teams import (
    add_team_member,
    create_team,
    delete_team,
    get_team,
    list_teams,
    remove_team_member,
    team_ids_of,
    update_team,
)
from omnicx.auth.service.tokens import create_token, list_tokens, revoke_token
from omnicx.auth.service.workspaces import (
    create_user,
    create_workspace,
    delete_workspace,
    ensure_membership,
    get_workspace,
    get_workspace_by_slug,
    list_user_workspaces,
    set_user_language,
)

__all__ = [
    "DIRECTORY",
    "add_member",
    "add_team_member",
    "authenticate_session",
    "authenticate_token",
    "change_password",
    "change_role",
    "create_team",
    "create_token",
    "create_user",
    "create_workspace",
    "delete_team",
    "delete_workspace",
    "ensure_membership",
    "get_team",
    "get_workspace",
    "get_workspace_by_slug",
    "list_audit",
    "list_members",
    "list_teams",
    "list_tokens",
    "list_user_workspaces",
    "member_of",
    "record_audit",
    "remove_member",
    "remove_team_member",
    "revoke_token",
    "set_user_language",
    "set_user_password",
    "sign_in",
    "sign_out",
    "switch_workspace",
    "team_ids_of",
    "update_team",
]
