"""Public face of the ownership domain: claim an identifier, prove it (code or DNS), ask who owns one.

`open_claim` writes in the caller's transaction (for other domains creating something that needs a proof);
`start_claim`, `resend_code`, `confirm_code` and `check_dns` are complete actions and commit."""

from omnicx.ownership.service.claims import (
    CODE_TTL,
    SEND_CODE_JOB,
    check_dns,
    code_delivery,
    confirm_code,
    find_claim,
    get_claim,
    list_claims,
    open_claim,
    owner,
    owns,
    resend_code,
    start_claim,
)

__all__ = [
    "CODE_TTL",
    "SEND_CODE_JOB",
    "check_dns",
    "code_delivery",
    "confirm_code",
    "find_claim",
    "get_claim",
    "list_claims",
    "open_claim",
    "owner",
    "owns",
    "resend_code",
    "start_claim",
]
