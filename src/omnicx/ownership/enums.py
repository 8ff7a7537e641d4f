"""The ownership domain's vocabulary (pure)."""

from __future__ import annotations

from enum import StrEnum


class ClaimKind(StrEnum):
    """What a workspace claims to control."""

    EMAIL_ADDRESS = "email_address"
    EMAIL_DOMAIN = "email_domain"


class ProofMethod(StrEnum):
    """How a claim was proven: a code sent to it and typed back, or a TXT record published in its DNS."""

    CODE = "code"
    DNS = "dns"


class ClaimStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
