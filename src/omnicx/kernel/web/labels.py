"""What people read for the permission table's names: a label per role, a phrase per action, and the sentence a
refused request shows (never a raw permission name such as `attribution.read`)."""

from __future__ import annotations

from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.i18n import gettext as _
from omnicx.kernel.i18n import lazy as N_

ROLE_LABELS = {
    "owner": N_("Owner"),
    "admin": N_("Admin"),
    "agent": N_("Agent"),
    "marketer": N_("Marketer"),
    "analyst": N_("Analyst"),
    "viewer": N_("Viewer"),
}

# What each action lets a role do, as the end of "Your role (Viewer) cannot ...".
ACTION_PHRASES: dict[Action, str] = {
    Action.OWN_ACCOUNT: N_("manage this account"),
    Action.OVERVIEW_READ: N_("see the overview"),
    Action.MEMBERS_READ: N_("see this workspace's members"),
    Action.MEMBERS_MANAGE: N_("invite members or change their roles"),
    Action.TEAMS_MANAGE: N_("manage teams"),
    Action.TOKENS_MANAGE: N_("manage API tokens"),
    Action.AUDIT_READ: N_("see the audit log"),
    Action.JOBS_READ: N_("see background jobs"),
    Action.JOBS_MANAGE: N_("retry or cancel background jobs"),
    Action.WORKSPACE_MANAGE: N_("change this workspace's settings"),
    Action.OWNERSHIP_MANAGE: N_("verify email addresses and domains"),
    Action.CUSTOMERS_READ: N_("see customers"),
    Action.CUSTOMERS_MANAGE: N_("edit customers"),
    Action.PRIVACY_MANAGE: N_("export or erase customers' data"),
    Action.TRACKING_READ: N_("see tracking sources and events"),
    Action.TRACKING_MANAGE: N_("manage tracking sources"),
    Action.INBOX_READ: N_("see conversations"),
    Action.INBOX_REPLY: N_("reply to conversations"),
    Action.INBOX_MANAGE: N_("manage inboxes"),
    Action.INBOX_REPORTS_READ: N_("see inbox reports"),
    Action.ATTRIBUTION_READ: N_("see attribution reports"),
    Action.JOURNEYS_READ: N_("see journeys"),
    Action.JOURNEYS_MANAGE: N_("edit funnels and the journey map"),
    Action.COMMERCE_READ: N_("see orders and stock"),
    Action.COMMERCE_MANAGE: N_("manage orders and stock"),
    Action.FEEDBACK_READ: N_("see customer feedback"),
    Action.FEEDBACK_MANAGE: N_("set up satisfaction surveys"),
    Action.CONTENT_READ: N_("see content"),
    Action.CONTENT_MANAGE: N_("manage content"),
}


def role_label(role: object) -> str:
    """A role's name as people read it (untranslated: templates pass it through `_`)."""
    key = str(getattr(role, "value", role))
    return ROLE_LABELS.get(key, key)


def refusal(role: Role, action: Action) -> str:
    """The sentence a request refused for its role reads, in the current language."""
    return _("Your role (%(role)s) cannot %(what)s. Ask an owner or admin of this workspace for access.") % {
        "role": _(role_label(role)),
        "what": _(ACTION_PHRASES.get(action, action.value)),
    }
