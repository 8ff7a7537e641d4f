"""The navigation frame: each page module lists its entries (`NAV`, `SETTINGS_NAV`), the composition root
registers them, and the frame shows what the caller's role may open."""

from __future__ import annotations

from dataclasses import dataclass

from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.i18n import lazy as N_


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


# The frame's own entries: the settings menu, and the jobs page the kernel serves.
NAV = [NavItem("settings", N_("Settings"), "/settings", Action.OVERVIEW_READ, 100)]
SETTINGS_NAV = [NavItem("jobs", N_("Jobs"), "/settings/jobs", Action.JOBS_READ, 50)]
