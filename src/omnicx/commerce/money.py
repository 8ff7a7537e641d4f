"""Money as integer minor units: converting prices in and formatting them out (no database, no I/O)."""

from __future__ import annotations

from decimal import Decimal

# Currencies without minor units (ISO 4217 exponent 0); every other currency has cents.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "XAF"}
)


def exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int, currency: str) -> str:
    """`1250, "EUR"` -> `"12.50 EUR"` (locale-neutral; pages may format it further)."""
    places = exponent(currency)
    return f"{to_decimal(minor, currency):.{places}f} {currency}"
