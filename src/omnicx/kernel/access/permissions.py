"""The one permission table: which role may perform which action.

Every route declares the action it needs (`require(Action.X)`); nothing else decides access. Realtime events
carry an action too, so a subscriber only receives what their role could read through a page.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"
    MARKETER = "marketer"
    ANALYST = "analyst"
    VIEWER = "viewer"


class Action(StrEnum):
    # What a person does to their own account and no one else's (sign out, switch workspace, language, marking
    # their own notifications read): every role holds it, and it is the only action a write may need that a
    # viewer holds (tests/web/test_rbac.py).
    OWN_ACCOUNT = "account.own"
    OVERVIEW_READ = "overview.read"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    TEAMS_MANAGE = "teams.manage"
    TOKENS_MANAGE = "tokens.manage"
    AUDIT_READ = "audit.read"
    JOBS_READ = "jobs.read"
    JOBS_MANAGE = "jobs.manage"
    WORKSPACE_MANAGE = "workspace.manage"
    # Prove the workspace controls an email address or domain (and see what it has proven).
    OWNERSHIP_MANAGE = "ownership.manage"
    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_MANAGE = "customers.manage"
    PRIVACY_MANAGE = "privacy.manage"
    TRACKING_READ = "tracking.read"
    TRACKING_MANAGE = "tracking.manage"
    INBOX_READ = "inbox.read"
    INBOX_REPLY = "inbox.reply"
    INBOX_MANAGE = "inbox.manage"
    INBOX_REPORTS_READ = "inbox.reports.read"  # team performance: response times and SLA hit rate per agent
    ATTRIBUTION_READ = "attribution.read"
    JOURNEYS_READ = "journeys.read"
    JOURNEYS_MANAGE = "journeys.manage"  # save and delete funnels, edit the journey map
    COMMERCE_READ = "commerce.read"
    COMMERCE_MANAGE = "commerce.manage"
    FEEDBACK_READ = "feedback.read"
    FEEDBACK_MANAGE = "feedback.manage"  # satisfaction surveys: which inboxes ask, when, in which words
    CONTENT_READ = "content.read"
    CONTENT_MANAGE = "content.manage"


_READ_ALL = frozenset(
    {
        Action.OWN_ACCOUNT,
        Action.OVERVIEW_READ,
        Action.MEMBERS_READ,
        Action.CUSTOMERS_READ,
        Action.INBOX_READ,
        Action.INBOX_REPORTS_READ,
        Action.ATTRIBUTION_READ,
        Action.JOURNEYS_READ,
        Action.COMMERCE_READ,
        Action.FEEDBACK_READ,
        Action.CONTENT_READ,
        Action.TRACKING_READ,
    }
)

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(Action) - {Action.WORKSPACE_MANAGE},
    Role.AGENT: frozenset(
        {
            Action.OWN_ACCOUNT,
            Action.OVERVIEW_READ,
            Action.MEMBERS_READ,
            Action.CUSTOMERS_READ,
            Action.CUSTOMERS_MANAGE,
            Action.INBOX_READ,
            Action.INBOX_REPLY,
            Action.COMMERCE_READ,
            Action.COMMERCE_MANAGE,
            Action.FEEDBACK_READ,
        }
    ),
    Role.MARKETER: _READ_ALL | {Action.CONTENT_MANAGE, Action.TRACKING_MANAGE, Action.JOURNEYS_MANAGE},
    Role.ANALYST: _READ_ALL | {Action.JOURNEYS_MANAGE},
    Role.VIEWER: frozenset(
        {
            Action.OWN_ACCOUNT,
            Action.OVERVIEW_READ,
            Action.CUSTOMERS_READ,
            Action.INBOX_READ,
            Action.ATTRIBUTION_READ,
            Action.JOURNEYS_READ,
            Action.COMMERCE_READ,
            Action.FEEDBACK_READ,
            Action.CONTENT_READ,
        }
    ),
}


def allows(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]


def assignable_roles(actor: Role) -> frozenset[Role]:
    """Roles an actor may grant: nobody grants more than they hold, only owners make owners."""
    if actor is Role.OWNER:
        return frozenset(Role)
    if actor is Role.ADMIN:
        return frozenset(Role) - {Role.OWNER}
    return frozenset()
