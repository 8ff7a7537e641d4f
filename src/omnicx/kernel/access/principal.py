"""The caller of a request, command or job: the one input every authorisation decision takes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from omnicx.kernel.access.permissions import Role


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which workspace, with which role: the input of every authorisation decision."""

    workspace_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    label: str = ""
    ip: str = ""

    @property
    def kind(self) -> str:
        return "token" if self.token_id else "user"
