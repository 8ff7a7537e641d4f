"""The navigation frame: each page module lists its entries (`NAV`, `SETTINGS_NAV`), the composition root
registers them, and the frame shows what the caller's role may open."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.i18n import lazy as N_


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    path: str
    action: Action
    order: int


@dataclass(frozen=True)
class FramePart:
    """A piece a domain adds to every page's top bar (the inbox's notification bell), for roles allowed `action`.

    `template` is the domain's partial; it reads what it needs from `values` (e.g. the topics it listens to), so
    the frame repeats none of the domain's vocabulary.
    """

    key: str
    template: str
    action: Action
    values: dict[str, Any] = field(default_factory=dict)


Item = TypeVar("Item", NavItem, FramePart)

MAIN: list[NavItem] = []
SETTINGS: list[NavItem] = []
PARTS: list[FramePart] = []


def register(item: NavItem, *, settings: bool = False) -> None:
    target = SETTINGS if settings else MAIN
    if all(existing.key != item.key for existing in target):
        target.append(item)
        target.sort(key=lambda i: i.order)


def add_part(part: FramePart) -> None:
    if all(existing.key != part.key for existing in PARTS):
        PARTS.append(part)


def visible(items: list[Item], role: Role) -> list[Item]:
    return [i for i in items if allows(role, i.action)]


# The frame's own entries: the settings menu, and the jobs page the kernel serves.
NAV = [NavItem("settings", N_("Settings"), "/settings", Action.OVERVIEW_READ, 100)]
SETTINGS_NAV = [NavItem("jobs", N_("Jobs"), "/settings/jobs", Action.JOBS_READ, 50)]
