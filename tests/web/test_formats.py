"""Figures as each language writes them: whole counts never carry decimals, fractional figures always carry the
same number of them with the language's separators, money carries its currency, and the browser's clock is
told the language's hour cycle; series colours do not depend on the language."""

from __future__ import annotations

import pytest

from omnicx.kernel.charts import PALETTE, series_colors
from omnicx.kernel.i18n import set_language
from omnicx.kernel.i18n.formats import clock, format_count, format_fraction, format_money, format_share
from omnicx.kernel.web.templating import environment


@pytest.mark.parametrize(
    ("language", "count", "fraction", "money"),
    [
        ("en", "4,609", "4,609.38", "€1,234.50"),
        ("fr", "4\u202f609", "4\u202f609,38", "1\u202f234,50\xa0€"),
        ("id", "4.609", "4.609,38", "€1.234,50"),
        ("ca", "4.609", "4.609,38", "1.234,50\xa0€"),
    ],
)
def test_numbers_follow_the_language(language: str, count: str, fraction: str, money: str) -> None:
    assert format_count(4609.0, language=language) == count
    assert format_fraction(4609.375, language=language) == fraction
    assert format_money(1234.5, "EUR", language=language) == money


@pytest.mark.parametrize("language", ["en", "fr", "id", "ca"])
def test_whole_counts_never_show_decimals(language: str) -> None:
    for value in (581.0, 585, 0.0, 12.4999):
        assert not any(mark in format_count(value, language=language)[-2:] for mark in (".0", ",0"))
    assert format_count(581.0, language=language) == "581"
    assert format_count(None, language=language) == "—"


def test_fractions_keep_their_digits_even_when_round() -> None:
    assert format_fraction(585, language="ca") == "585,00"
    assert format_fraction(0.5, language="id", digits=3) == "0,500"
    assert format_fraction(2.25, language="en", digits=1) in {"2.2", "2.3"}


def test_shares_use_the_languages_percent_sign_spacing() -> None:
    assert format_share(0.25, language="fr") == "25,0\xa0%"
    assert format_share(0.0312, language="ca", digits=2) == "3,12\xa0%"
    assert format_share(0.5, language="en", digits=0) == "50%"
    assert format_share(None, language="en") == "—"


def test_money_without_a_known_currency_is_a_two_decimal_amount() -> None:
    assert format_money(165.5, None, language="ca") == "165,50"
    assert format_money(None, "EUR", language="ca") == "—"


def test_clock_matches_the_servers_time_format() -> None:
    assert clock("en") == {"hourCycle": "h12", "hour": "numeric"}  # "2:05:09 PM"
    assert clock("fr") == {"hourCycle": "h23", "hour": "2-digit"}  # "14:05:09", "08:05:09"
    assert clock("id")["hourCycle"] == clock("ca")["hourCycle"] == "h23"


def test_template_filters_use_the_page_language() -> None:
    template = environment().from_string(
        "{{ n|count }} | {{ x|fraction }} | {{ amount|money('EUR') }} | {{ share|percent(0) }}"
    )
    values = {"n": 581.0, "x": 4609.375, "amount": 1234.5, "share": 0.5}
    set_language("ca")
    try:
        assert template.render(values) == "581 | 4.609,38 | 1.234,50\xa0€ | 50\xa0%"
    finally:
        set_language("en")
    assert template.render(values) == "581 | 4,609.38 | €1,234.50 | 50%"


def test_series_keep_their_colour_whatever_the_labels_say() -> None:
    english = series_colors({"first": "First touch", "last": "Last touch", "model": "Linear"})
    french = series_colors({"first": "Premier contact", "last": "Dernier contact", "model": "Linéaire"})
    assert english.domain == ["First touch", "Last touch", "Linear"]
    assert french.domain == ["Premier contact", "Dernier contact", "Linéaire"]
    assert english.range == french.range == list(PALETTE[:3])
    same_label = series_colors({"first": "First touch", "last": "Last touch", "model": "First touch"})
    assert same_label.domain == ["First touch", "Last touch"]
