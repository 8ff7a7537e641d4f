"""Numbers, money and clock times as a language writes them, all through Babel (never Python's `format`, whose
"4609.38" reads as four thousand in Catalan and Indonesian, where "." groups thousands).

Pages reach these through the template filters (`count`, `decimal`, `money`, `percent`); each takes the
language explicitly so it can be tested without a request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_timedelta, get_date_format, get_time_format
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


#: CLDR date-pattern letters and the d3-time-format directive each becomes (longest first: "yyyy" before "y").
_D3_DIRECTIVES = (
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("y", "%Y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%-m"),
    ("dd", "%d"),
    ("d", "%-d"),
    ("EEEE", "%A"),
    ("HH", "%H"),
    ("H", "%-H"),
    ("hh", "%I"),
    ("h", "%-I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("a", "%p"),
)


def _d3_pattern(pattern: str) -> str:
    """A CLDR date or time pattern ("dd/MM/y", "HH:mm:ss") as a d3-time-format specifier ("%d/%m/%Y");
    quoted literals ('de') are kept as text."""
    out: list[str] = []
    for index, part in enumerate(pattern.split("'")):
        if index % 2:  # inside quotes: literal text ('' is a quote)
            out.append(part.replace("%", "%%") or "'")
            continue
        position = 0
        while position < len(part):
            for letters, directive in _D3_DIRECTIVES:
                if part.startswith(letters, position):
                    out.append(directive)
                    position += len(letters)
                    break
            else:
                out.append(part[position].replace("%", "%%"))
                position += 1
    return "".join(out)


@cache
def chart_locale(language: str) -> dict[str, dict[str, Any]]:
    """How the language writes numbers and dates, as the d3 locales Vega draws charts with: `number` for
    d3-format (decimal point, thousands separator, grouping) and `time` for d3-time-format (month and day names,
    date and time patterns), both from Babel's CLDR data like every other figure on the page. Pages hand them to
    vega-embed and exports to vl-convert, so a French chart's axis reads "janv." and "1 234,5" as its page does."""
    locale = format_locale(language)
    symbols = locale.number_symbols.get("latn", locale.number_symbols)
    months = locale.months["stand-alone"]  # an axis names a month alone ("gener"), not in a date ("de gener")
    days = locale.days["stand-alone"]
    periods = locale.day_periods["format"]["abbreviated"]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts from Monday, d3 from Sunday
    date = _d3_pattern(get_date_format("short", locale=locale).pattern)
    time = _d3_pattern(get_time_format("medium", locale=locale).pattern)
    return {
        "number": {
            "decimal": symbols["decimal"],
            "thousands": symbols["group"],
            "grouping": [3],
            "currency": ["", ""],
        },
        "time": {
            "dateTime": f"{date} {time}",
            "date": date,
            "time": time,
            "periods": [periods.get("am", "AM"), periods.get("pm", "PM")],
            "days": [days["wide"][i] for i in sunday_first],
            "shortDays": [days["abbreviated"][i] for i in sunday_first],
            "months": [months["wide"][i] for i in range(1, 13)],
            "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
        },
    }
