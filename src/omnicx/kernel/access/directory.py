"""The directory port: how the kernel asks who a caller is without importing the domain that knows.

The web kit's gates, the realtime stream and the job tools need answers that live in the auth domain's tables
(sessions, API tokens, memberships, the audit log). The kernel declares what it asks here; the auth domain
answers it (`omnicx.auth.service.DIRECTORY`), and the composition root plugs one into the other at start-up
(`omnicx.app.wiring`). So the kernel stays below every domain, and a test can plug in a directory of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from omnicx.kernel.access.principal import Principal


@dataclass(frozen=True)
class PageFrame:
    """What the page frame shows a signed-in person: the current workspace and the switcher's list.

    `workspace` and each entry of `workspaces` are the auth domain's public workspace models (templates read
    their `name`, `slug` and `timezone`).
    """

    workspace: Any
    timezone: str
    workspaces: Sequence[tuple[Any, Any]]


class Directory(Protocol):
    def authenticate_token(self, session: Session, *, token: str, ip: str) -> Principal | None:
        """The caller an API token stands for, or None when it is unknown or revoked."""

    def authenticate_session(self, session: Session, *, token: str, ip: str) -> tuple[Principal, Any] | None:
        """The caller and their user record for a browser session token, or None when it is not valid."""

    def page_frame(self, session: Session, *, principal: Principal) -> PageFrame:
        """The workspace context of a signed-in person's pages."""

    def audience_tokens(self, session: Session, *, principal: Principal) -> frozenset[str]:
        """`member:<id>` and `team:<id>` for each audience the caller belongs to (realtime filtering)."""

    def workspace_id(self, session: Session, *, slug: str) -> uuid.UUID:
        """The id of the workspace with this slug (raises the auth domain's not-found error)."""

    def record_audit(
        self,
        session: Session,
        *,
        workspace_id: uuid.UUID,
        principal: Principal | None,
        actor_label: str,
        action: str,
        target_type: str,
        target_id: str,
        detail: dict[str, Any],
    ) -> None:
        """Add one line to the workspace's audit log, in the caller's transaction."""


_directory: Directory | None = None


def install(directory: Directory) -> None:
    """Plug in the directory (the composition root does, once per process; installing again replaces it)."""
    global _directory
    _directory = directory


def directory() -> Directory:
    """The installed directory; failing loudly if start-up never wired one, rather than letting everyone in."""
    if _directory is None:
        raise RuntimeError("no access directory installed: start omnicx through omnicx.app (wiring.wire())")
    return _directory
