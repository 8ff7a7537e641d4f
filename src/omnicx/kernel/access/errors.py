"""Errors of access control: who is calling and whether their role may act. Raised by the web kit's gates."""

from __future__ import annotations

from omnicx.kernel.errors import Forbidden, Unauthorized


class NotAuthenticated(Unauthorized):
    """No session cookie or API token, or it expired or was revoked."""

    code = "not_authenticated"


class CsrfFailed(Forbidden):
    """A state-changing browser request came without the CSRF token of its session."""

    code = "csrf_failed"


class PermissionDenied(Forbidden):
    """The caller's role does not include the action this route performs."""

    code = "permission_denied"
