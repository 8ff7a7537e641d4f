"""Errors of the identity domain, each with a stable code."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Invalid, NotFound


class CustomerNotFound(NotFound):
    """No customer with this id in the caller's workspace (or it was erased)."""

    code = "customer_not_found"


class MergeRefused(Conflict):
    """The two customers hold identifiers a per-type limit keeps apart (two different user ids)."""

    code = "merge_refused"


class InvalidIdentifier(Invalid):
    """The identifier is blocked (`anonymous`, `null`...) or cannot be normalised (a malformed phone number)."""

    code = "invalid_identifier"


class SuppressionNotFound(NotFound):
    code = "suppression_not_found"


class ErasureNotFound(NotFound):
    code = "erasure_not_found"
