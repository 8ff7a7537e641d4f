"""Normalisation of identifiers: one spelling per identifier, and junk values refused before they merge anyone.

Pure functions (no database): the same person typed as ` Ana@Example.COM ` and `ana@example.com`, or as
`+33 6 12 34 56 78` and `0612345678` (French default region), must become one identifier, and placeholder values
that SDKs and forms send when they know nothing (`anonymous`, `null`, `[object Object]`...) must never link two
strangers together.
"""

from __future__ import annotations

import re

import phonenumbers

from omnicx.identity.errors import InvalidIdentifier
from omnicx.identity.schemas import Identifier, IdentifierKind

MAX_VALUE_LENGTH = 320

# Compared case-insensitively after trimming. They are what SDKs, forms and bugs send instead of an identifier.
BLOCKED_VALUES = frozenset(
    {
        "",
        "0",
        "-1",
        "anonymous",
        "anon",
        "guest",
        "null",
        "nil",
        "none",
        "undefined",
        "nan",
        "unknown",
        "n/a",
        "na",
        "true",
        "false",
        "{}",
        "[]",
        "[object object]",
        "00000000-0000-0000-0000-000000000000",
    }
)
BLOCKED_EMAILS = frozenset(
    {
        "test@test.com",
        "example@example.com",
        "email@example.com",
        "user@example.com",
        "noemail@noemail.com",
        "no@email.com",
        "none@none.com",
        "null@null.com",
    }
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DIGITS = re.compile(r"^\d{5,20}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


def is_blocked(value: str) -> bool:
    """True for the placeholder values that must never identify anyone."""
    return value.strip().casefold() in BLOCKED_VALUES


def normalise(identifier: Identifier, default_region: str | None = None) -> Identifier | None:
    """The canonical form of `identifier`, or None when it is blocked or invalid.

    Emails are trimmed and lower-cased; phones become E.164 (`default_region`, an ISO country code such as
    "FR", lets national numbers parse); WhatsApp ids keep only their digits; other kinds are trimmed and kept
    case-sensitive (user ids and provider ids are opaque).
    """
    value = identifier.value.strip()
    if is_blocked(value) or len(value) > MAX_VALUE_LENGTH or "\x00" in value:
        return None
    normalised = _NORMALISERS.get(identifier.kind, _opaque)(value, default_region)
    if normalised is None or is_blocked(normalised):
        return None
    if normalised == identifier.value:
        return identifier  # frozen: the same identifier serves (most values arrive already canonical)
    return Identifier(kind=identifier.kind, value=normalised)


def _opaque(value: str, _region: str | None) -> str | None:
    return value


def _email(value: str, _region: str | None) -> str | None:
    email = value.lower()
    if email.startswith("mailto:"):
        email = email.removeprefix("mailto:")
    if not _EMAIL.match(email) or email in BLOCKED_EMAILS:
        return None
    return email


def _phone(value: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(value, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _whatsapp(value: str, _region: str | None) -> str | None:
    """WhatsApp ids (`wa_id`) are the international number without `+`; keep the digits only."""
    digits = _PHONE_PUNCTUATION.sub("", value).removeprefix("+")
    return digits if _DIGITS.match(digits) and digits.strip("0") else None


_NORMALISERS = {
    IdentifierKind.EMAIL: _email,
    IdentifierKind.PHONE: _phone,
    IdentifierKind.WHATSAPP: _whatsapp,
}


def normalised_or_raise(identifier: Identifier) -> Identifier:
    normalised = normalise(identifier)
    if normalised is None:
        raise InvalidIdentifier(f"{identifier.kind.value} {identifier.value!r} is blocked or invalid")
    return normalised
