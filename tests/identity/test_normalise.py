"""Normalisation, table-driven: one spelling per identifier, junk refused."""

from __future__ import annotations

import pytest

from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.identity.service import normalise

E, P, U, A, W = (
    IdentifierKind.EMAIL,
    IdentifierKind.PHONE,
    IdentifierKind.USER_ID,
    IdentifierKind.ANONYMOUS_ID,
    IdentifierKind.WHATSAPP,
)


@pytest.mark.parametrize(
    ("kind", "raw", "region", "expected"),
    [
        (E, "  Ana.Lima@Example.COM ", None, "ana.lima@example.com"),
        (E, "mailto:bob@example.org", None, "bob@example.org"),
        (E, "bob@localhost", None, None),
        (E, "not an email", None, None),
        (E, "test@test.com", None, None),
        (P, "+33 6 12 34 56 78", None, "+33612345678"),
        (P, "06 12 34 56 78", "FR", "+33612345678"),
        (P, "(415) 555-2671", "US", "+14155552671"),
        (P, "+1 415 555 2671", "FR", "+14155552671"),
        (P, "020 7946 0958", "GB", "+442079460958"),
        (P, "0812-3456-7890", "ID", "+6281234567890"),
        (P, "+62 812 3456 7890", None, "+6281234567890"),
        (P, "612 34 56 78", "ES", "+34612345678"),
        (P, "+49 30 901820", None, "+4930901820"),
        (P, "0612345678", None, None),  # national number without a region: ambiguous
        (P, "12", "FR", None),
        (P, "call me", "FR", None),
        (W, "+33 6 12 34 56 78", None, "33612345678"),
        (W, "abc", None, None),
        (U, "  User-42 ", None, "User-42"),
        (A, "3f2c-anon", None, "3f2c-anon"),
    ],
)
def test_normalise(kind: IdentifierKind, raw: str, region: str | None, expected: str | None) -> None:
    result = normalise(Identifier(kind=kind, value=raw), region)
    assert (result.value if result else None) == expected
    if result is not None:
        assert result.kind is kind


@pytest.mark.parametrize(
    "blocked",
    [
        "",
        "   ",
        "anonymous",
        "Guest",
        "NULL",
        "undefined",
        "None",
        "0",
        "-1",
        "[object Object]",
        "nan",
        "00000000-0000-0000-0000-000000000000",
        "x" * 321,
    ],
)
@pytest.mark.parametrize("kind", [U, A, IdentifierKind.EXTERNAL, IdentifierKind.MESSENGER, E])
def test_blocked_values_are_refused_for_every_kind(kind: IdentifierKind, blocked: str) -> None:
    assert normalise(Identifier(kind=kind, value=blocked)) is None
