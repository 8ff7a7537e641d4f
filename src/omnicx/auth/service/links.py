"""Links omnicx mails to a person (an invitation, a password reset): one secret token each, stored as its SHA-256.

The mail is written by a job in another domain (channels), after the request that made the token committed, so
the job must be able to read the token back. It travels in the job's payload sealed under the server's secret
key (`kernel.access.sealing`, one key per purpose): a copy of the database shows neither the token nor anything
that opens it, and a token replaced since (a resend, a newer reset) is recognised by its hash and not mailed.
"""

from __future__ import annotations

from omnicx.kernel.access.sealing import seal, unseal
from omnicx.kernel.access.security import hash_token, new_token


def new_link_token(prefix: str) -> tuple[str, str]:
    """A fresh random token and the hash to store in its place."""
    token = new_token(prefix)
    return token, hash_token(token)


def seal_for_mail(secret: str, token: str, *, purpose: str) -> str:
    return seal(secret, token, purpose=purpose)


def unseal_current(secret: str, sealed: str, *, purpose: str, token_hash: str) -> str | None:
    """The sealed token if it is still the one stored (`token_hash`), else None: nothing to mail then."""
    token = unseal(secret, sealed, purpose=purpose)
    if token is None or hash_token(token) != token_hash:
        return None
    return token


def link_to(base_url: str, path: str, token: str) -> str:
    """The absolute link a mail carries: the server's public address (`OMNICX_BASE_URL`), a path, the token."""
    return f"{base_url.rstrip('/')}{path}/{token}"
