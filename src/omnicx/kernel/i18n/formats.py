"""Numbers, money and clock times as a language writes them, all through Babel (never Python's `format`, whose
"4609.38" reads as four thousand in Catalan and Indonesian, where "." groups thousands).

Pages reach these through the template filters (`count`, `decimal`, `money`, `percent`); each takes the
language explicitly so it can be tested without a request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_timedelta, get_time_format
from babel.numbers import format_currency, format_decimal, parse_pattern

from omnicx.kernel.i18n import format_locale

#: What a missing figure shows.
NOTHING = "—"


def format_count(value: float | int | None, *, language: str) -> str:
    """A whole count (sessions, conversions by first or last touch, orders): rounded to a whole number and
    grouped the language's way ("1.234" in Catalan), never "581.0"."""
    if value is None:
        return NOTHING
    return format_decimal(round(value), locale=format_locale(language))


def format_fraction(value: float | Decimal | None, *, language: str, digits: int = 2) -> str:
    """A figure that is fractional by nature (credit a linear or Markov model shares out, a probability) with
    exactly `digits` decimals, grouped and pointed the language's way ("4.609,38" in Catalan, "4,609.38" in
    English), so every cell of a column has the same shape."""
    if value is None:
        return NOTHING
    locale = format_locale(language)
    return _fixed(locale.decimal_formats[None].pattern, value, locale, digits)


def format_share(value: float | None, *, language: str, digits: int = 1) -> str:
    """A share (0.25) as the language writes a percentage, with `digits` decimals and the language's own
    spacing ("25,0 %" in French and Catalan, "25.0%" in English)."""
    if value is None:
        return NOTHING
    locale = format_locale(language)
    return _fixed(locale.percent_formats[None].pattern, value, locale, digits)


def _fixed(pattern_text: str | None, value: float | Decimal, locale: Locale, digits: int) -> str:
    """`value` through the language's number pattern with exactly `digits` decimals."""
    pattern = parse_pattern(pattern_text or "#,##0.###")
    pattern.frac_prec = (digits, digits)
    text: str = pattern.apply(Decimal(str(value)), locale)
    return text


def format_money(value: float | Decimal | None, currency: str | None, *, language: str) -> str:
    """An amount in major units in `currency` (ISO 4217) as the language writes money ("1.234,50 €" in
    Catalan); with no currency known, the amount with two decimals."""
    if value is None:
        return NOTHING
    if not currency:
        return format_fraction(value, language=language)
    return format_currency(Decimal(str(value)), currency, locale=format_locale(language))


def format_ago(value: datetime | None, *, now: datetime, language: str) -> str:
    """How long ago `value` was, short, as the language says it ("5 min", "2 h" in Catalan, "3 j" in
    Indonesian): what a list row shows beside the time itself. Less than a minute reads as one minute; a time
    ahead of `now` (a clock a little off) as one minute too."""
    if value is None:
        return NOTHING
    elapsed = max(now - value, timedelta(minutes=1))
    return format_timedelta(elapsed, granularity="minute", format="short", locale=format_locale(language))


def clock(language: str) -> dict[str, str]:
    """How the language's medium time format writes the hour, as `Intl.DateTimeFormat` options: its clock
    (`hourCycle`: "h12" for English, "2:05:09 PM"; "h23" for French, Indonesian and Catalan) and whether the
    hour is padded (`hour`: "2-digit" for French "08:05:09", "numeric" for Catalan "8:05:09"). Browser code
    formatting a time takes them, so its times read like the ones the server wrote on the same page."""
    pattern = get_time_format("medium", locale=format_locale(language)).pattern
    skeleton = "".join(part for index, part in enumerate(pattern.split("'")) if index % 2 == 0)
    cycles = {"h": "h12", "K": "h11", "k": "h24", "H": "h23"}
    letter = next((c for c in skeleton if c in cycles), "H")
    return {"hourCycle": cycles[letter], "hour": "2-digit" if letter * 2 in skeleton else "numeric"}
