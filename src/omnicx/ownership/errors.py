"""Errors of the ownership domain, each with a stable code."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Invalid, NotFound, RateLimited


class ClaimNotFound(NotFound):
    code = "ownership_claim_not_found"


class Unavailable(Conflict):
    """The identifier cannot be proven by this workspace. Deliberately says no more: whether another workspace
    owns it, or which, is never told."""

    code = "ownership_unavailable"


class InvalidIdentifier(Invalid):
    """Not an email address, not a domain name."""

    code = "ownership_invalid_identifier"


class WrongCode(Invalid):
    """The code typed is not the one sent, or it expired, or too many wrong codes were typed for it."""

    code = "ownership_wrong_code"


class NotProven(Invalid):
    """The DNS record was not found at the domain (or DNS did not answer), or the claim cannot be proven so."""

    code = "ownership_not_proven"


class TooManyCodes(RateLimited):
    """Codes are sent at most once a minute per claim, a few times a day, and a few dozen an hour per
    workspace: mail to addresses the workspace does not control must stay rare."""

    code = "ownership_too_many_codes"
