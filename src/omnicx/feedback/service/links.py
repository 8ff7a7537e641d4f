"""Signed response links: `/feedback/csat/<survey id>.<signature>?rating=N` and `/feedback/s/<invitation>.<sig>`.

The signature is an HMAC of the id under a key derived from the server's secret and the link's purpose
(`kernel.access.security.sign_id`), so a link cannot be made up for another survey, a satisfaction link never
opens a survey, and nothing is stored to check it. A link that was used is refused by the survey itself
(answered once), not by the signature.
"""

from __future__ import annotations

import uuid

from omnicx.kernel.access.security import sign_id, signed_id

PATH = "/feedback/csat"
SURVEY_PATH = "/feedback/s"
_PURPOSE = b"omnicx.feedback.csat-link"
_SURVEY_PURPOSE = b"omnicx.feedback.survey-link"


def link_token(secret: str, survey_id: uuid.UUID) -> str:
    return sign_id(secret, _PURPOSE, survey_id)


def response_link(base_url: str, secret: str, survey_id: uuid.UUID, rating: int | None = None) -> str:
    """The answer page's link, with `rating` chosen already (one click in an email) or not."""
    link = f"{base_url.rstrip('/')}{PATH}/{link_token(secret, survey_id)}"
    return link if rating is None else f"{link}?rating={rating}"


def survey_of(secret: str, token: str) -> uuid.UUID | None:
    """The satisfaction survey a link names, or None when its signature is wrong or it is malformed."""
    return signed_id(secret, _PURPOSE, token)


def invitation_token(secret: str, invitation_id: uuid.UUID) -> str:
    """What answers one survey invitation: in its link, or held by the site's survey script."""
    return sign_id(secret, _SURVEY_PURPOSE, invitation_id)


def survey_link(base_url: str, secret: str, invitation_id: uuid.UUID) -> str:
    """The answer page of one survey invitation."""
    return f"{base_url.rstrip('/')}{SURVEY_PATH}/{invitation_token(secret, invitation_id)}"


def invitation_of(secret: str, token: str) -> uuid.UUID | None:
    """The invitation a survey link names, or None when forged or malformed."""
    return signed_id(secret, _SURVEY_PURPOSE, token)
