"""The navigation frame: each domain registers its entry; the frame shows what the caller's role may open."""

from __future__ import annotations

from dataclasses import dataclass

from omnicx.auth.permissions import Action, Role, allows
from omnicx.i18n import lazy as N_


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    path: str
    action: Action
    order: int


MAIN: list[NavItem] = []
SETTINGS: list[NavItem] = []


def register(item: NavItem, *, settings: bool = False) -> None:
    target = SETTINGS if settings else MAIN
    if all(existing.key != item.key for existing in target):
        target.append(item)
        target.sort(key=lambda i: i.order)


def visible(items: list[NavItem], role: Role) -> list[NavItem]:
    return [i for i in items if allows(role, i.action)]


register(NavItem("settings", N_("Settings"), "/settings", Action.OVERVIEW_READ, 100))
register(NavItem("profile", N_("Profile"), "/settings/profile", Action.OVERVIEW_READ, 0), settings=True)
register(NavItem("members", N_("Members"), "/settings/members", Action.MEMBERS_READ, 10), settings=True)
register(NavItem("teams", N_("Teams"), "/settings/teams", Action.MEMBERS_READ, 20), settings=True)
register(NavItem("tokens", N_("API tokens"), "/settings/tokens", Action.TOKENS_MANAGE, 30), settings=True)
register(NavItem("audit", N_("Audit log"), "/settings/audit", Action.AUDIT_READ, 40), settings=True)
register(NavItem("jobs", N_("Jobs"), "/settings/jobs", Action.JOBS_READ, 50), settings=True)
