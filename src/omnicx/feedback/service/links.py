"""Signed response links: `/feedback/csat/<survey id>.<signature>?rating=N`.

The signature is an HMAC of the survey id under a key derived from the server's secret, so a link cannot be
made up for another survey, and nothing is stored to check it. It is compared in constant time. A link that
was used is refused by the survey itself (answered once), not by the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

PATH = "/feedback/csat"
SURVEY_PATH = "/feedback/s"
_PURPOSE = b"omnicx.feedback.csat-link"
_SURVEY_PURPOSE = b"omnicx.feedback.survey-link"  # another key: a satisfaction link never opens a survey


def _signature(secret: str, survey_id: uuid.UUID, purpose: bytes = _PURPOSE) -> str:
    key = hmac.new(secret.encode(), purpose, hashlib.sha256).digest()
    digest = hmac.new(key, survey_id.bytes, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def link_token(secret: str, survey_id: uuid.UUID) -> str:
    return f"{survey_id.hex}.{_signature(secret, survey_id)}"


def response_link(base_url: str, secret: str, survey_id: uuid.UUID, rating: int | None = None) -> str:
    """The answer page's link, with `rating` chosen already (one click in an email) or not."""
    link = f"{base_url.rstrip('/')}{PATH}/{link_token(secret, survey_id)}"
    return link if rating is None else f"{link}?rating={rating}"


def survey_of(secret: str, token: str, purpose: bytes = _PURPOSE) -> uuid.UUID | None:
    """The survey a link names, or None when its signature is wrong or it is malformed."""
    survey_hex, _, signature = token.partition(".")
    try:
        survey_id = uuid.UUID(hex=survey_hex)
    except ValueError:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(secret, survey_id, purpose).encode()):
        return None
    return survey_id


def survey_link(base_url: str, secret: str, invitation_id: uuid.UUID) -> str:
    """The answer page of one survey invitation."""
    signature = _signature(secret, invitation_id, _SURVEY_PURPOSE)
    return f"{base_url.rstrip('/')}{SURVEY_PATH}/{invitation_id.hex}.{signature}"


def invitation_of(secret: str, token: str) -> uuid.UUID | None:
    """The invitation a survey link names, or None when forged or malformed."""
    return survey_of(secret, token, _SURVEY_PURPOSE)
