"""Identifiers a workspace may claim, normalised, and which claims cover which (pure).

An email address is covered by a claim on itself and by a claim on its whole domain; a domain claim covers
every address at that domain (not its subdomains)."""

from __future__ import annotations

import hashlib
import hmac
import re

from omnicx.ownership.enums import ClaimKind

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
CODE_DIGITS = 6
DNS_PREFIX = "omnicx-verification="


def normalise_domain(value: str) -> str | None:
    domain = value.strip().rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return domain


def normalise(kind: ClaimKind, value: str) -> str | None:
    """The canonical spelling of `value` (lower case, IDNA domain), or None when it is not one."""
    if kind is ClaimKind.EMAIL_DOMAIN:
        return normalise_domain(value)
    local, at, domain = value.strip().lower().rpartition("@")
    if not at or not local or len(local) > 64 or any(c.isspace() or c in "<>@,;" for c in local):
        return None
    normal = normalise_domain(domain)
    return f"{local}@{normal}" if normal else None


def scope_of(kind: ClaimKind, value: str) -> str:
    """The domain an identifier lives under (the address's domain, the domain itself)."""
    return value.rpartition("@")[2] if kind is ClaimKind.EMAIL_ADDRESS else value


def covering(kind: ClaimKind, value: str) -> list[tuple[ClaimKind, str]]:
    """The claims that, once proven, make a workspace the owner of `value` (itself first)."""
    if kind is ClaimKind.EMAIL_ADDRESS:
        return [(kind, value), (ClaimKind.EMAIL_DOMAIN, scope_of(kind, value))]
    return [(kind, value)]


def code_for(secret: str, claim_id: str, nonce: str) -> str:
    """The code sent for one issue (`nonce`) of a claim: derived with the server's secret, so it is stored
    nowhere (not in the claim, not in the job that mails it)."""
    digest = hmac.new(secret.encode(), f"ownership-code:{claim_id}:{nonce}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def same_code(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), re.sub(r"\s+", "", given).encode())


def dns_record(token: str) -> str:
    return f"{DNS_PREFIX}{token}"
