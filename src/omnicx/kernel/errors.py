"""Typed domain errors, mapped to HTTP in exactly one place (`omnicx.kernel.web.errors`).

Services raise these; routes, pages and CLI commands never build error responses by hand, so a client always
gets the same stable `code` for the same situation whichever way it reached omnicx.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of every error a service may raise on purpose; `code` is stable and documented."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(DomainError):
    """The request is well-formed but breaks a business rule."""

    code = "invalid"
    status = 422


class NotFound(DomainError):
    """The object does not exist in this workspace (other workspaces' objects are reported the same way)."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The change collides with the current state (a duplicate, a stale update)."""

    code = "conflict"
    status = 409


class Unauthorized(DomainError):
    """No valid credentials were presented."""

    code = "unauthorized"
    status = 401


class Forbidden(DomainError):
    """The caller is known but their role does not allow this action."""

    code = "forbidden"
    status = 403


class RateLimited(DomainError):
    """Too many attempts; the caller must wait before trying again (`retry_after` seconds, when known: sent as
    the `Retry-After` header)."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}
