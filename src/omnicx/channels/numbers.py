"""Phone numbers as the provider channels (SMS, WhatsApp) know them: E.164, normalised by identity, so a
customer's number is the same identifier whichever channel it came through."""

from __future__ import annotations

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.kernel.errors import Invalid


def e164(value: str) -> str | None:
    found = identity_service.normalise(Identifier(kind=IdentifierKind.PHONE, value=value)) if value else None
    return found.value if found else None


def phone_number(value: str) -> str:
    """`value` as E.164, or Invalid."""
    number = e164(value)
    if number is None:
        raise Invalid(f"{value!r} is not a phone number in international format (+ and country code)")
    return number
