"""GA4's default channel group, rule by rule, and custom rules tried before it (pure: no database)."""

from __future__ import annotations

import pytest

from omnicx.tracking.channel_grouping import (
    DEFAULT_CHANNELS,
    Condition,
    Field,
    Op,
    Traffic,
    classify,
    custom_rule,
)

# (source, medium, campaign) -> channel: at least one row per default channel, plus the precedence cases.
CASES = [
    ("(direct)", "(none)", "", "Direct"),
    ("(direct)", "(not set)", "", "Direct"),
    ("google", "cpc", "summer-cross-network", "Cross-network"),
    ("google", "cpc", "Cross-Network brand", "Cross-network"),
    ("amazon.com", "cpc", "", "Paid Shopping"),
    ("google", "cpc", "winter-shopping", "Paid Shopping"),
    ("bing", "ppc", "shop-now", "Paid Shopping"),
    ("google", "cpc", "brand", "Paid Search"),
    ("duckduckgo", "paidsearch", "", "Paid Search"),
    ("bing", "retargeting", "", "Paid Search"),
    ("facebook", "paid_social", "", "Paid Social"),
    ("l.instagram.com", "cpc", "", "Paid Social"),
    ("youtube", "cpv", "", "Paid Video"),
    ("vimeo.com", "paid", "", "Paid Video"),
    ("dv360", "display", "", "Display"),
    ("network", "banner", "", "Display"),
    ("adnet", "cpm", "", "Display"),
    ("adnet", "interstitial", "", "Display"),
    ("somesite", "cpa", "", "Paid Other"),
    ("partner", "paid", "", "Paid Other"),
    ("etsy", "referral", "", "Organic Shopping"),
    ("newsletter-site", "referral", "shopping-week", "Organic Shopping"),
    ("Google Shopping", "", "", "Organic Shopping"),
    ("facebook.com", "referral", "", "Organic Social"),
    ("t.co", "referral", "", "Organic Social"),
    ("forum", "social", "", "Organic Social"),
    ("anything", "social media", "", "Organic Social"),
    ("youtube.com", "referral", "", "Organic Video"),
    ("site", "video", "", "Organic Video"),
    ("site", "promo-video-2", "", "Organic Video"),
    ("google", "organic", "", "Organic Search"),
    ("ecosia.org", "referral", "", "Organic Search"),
    ("unknown-engine", "organic", "", "Organic Search"),
    ("blog.example.com", "referral", "", "Referral"),
    ("partner-app", "app", "", "Referral"),
    ("site", "link", "", "Referral"),
    ("newsletter", "email", "", "Email"),
    ("e-mail", "", "", "Email"),
    ("crm", "e_mail", "", "Email"),
    ("partner", "affiliate", "", "Affiliates"),
    ("spotify", "audio", "", "Audio"),
    ("sms", "", "", "SMS"),
    ("twilio", "sms", "", "SMS"),
    ("app", "web-push", "", "Mobile Push Notifications"),
    ("app", "mobile", "", "Mobile Push Notifications"),
    ("app", "notification", "", "Mobile Push Notifications"),
    ("firebase", "", "", "Mobile Push Notifications"),
    ("somewhere", "something", "", "Unassigned"),
    ("", "", "", "Unassigned"),
    # First match wins: a paid shopping campaign on a search engine is Paid Shopping, not Paid Search.
    ("google", "cpc", "shop", "Paid Shopping"),
    # "workshop" does not count as shopping ([^a-df-z] before "shop"), so this stays Paid Search.
    ("google", "cpc", "workshop", "Paid Search"),
    # An email medium from a social site is Organic Social (it comes first).
    ("facebook", "email", "", "Organic Social"),
]


@pytest.mark.parametrize(("source", "medium", "campaign", "channel"), CASES)
def test_default_channel_group(source: str, medium: str, campaign: str, channel: str) -> None:
    assert classify(Traffic(source, medium, campaign)) == channel


def test_every_default_channel_is_covered_by_the_table() -> None:
    assert {row[3] for row in CASES} == set(DEFAULT_CHANNELS)


def test_custom_rules_are_tried_first_and_in_order() -> None:
    partners = custom_rule("Partners", [Condition(Field.SOURCE, Op.ENDS_WITH, ".partner.com")])
    newsletter = custom_rule(
        "Newsletter",
        [Condition(Field.MEDIUM, Op.EQUALS, "email"), Condition(Field.CAMPAIGN, Op.STARTS_WITH, "weekly")],
    )
    catch_all = custom_rule("Everything else", [Condition(Field.SOURCE, Op.REGEX, ".*")])
    rules = [partners, newsletter, catch_all]

    assert classify(Traffic("shop.partner.com", "referral"), rules) == "Partners"
    assert classify(Traffic("crm", "email", "Weekly-42"), rules) == "Newsletter"
    # Only one of the newsletter rule's conditions holds: the next rule decides.
    assert classify(Traffic("crm", "email", "promo"), rules) == "Everything else"
    assert classify(Traffic("crm", "email", "promo"), [partners, newsletter]) == "Email"


@pytest.mark.parametrize(
    ("op", "value", "source", "expected"),
    [
        (Op.EQUALS, "Store", "store", True),
        (Op.CONTAINS, "news", "my-newsletter", True),
        (Op.STARTS_WITH, "qr", "qr-poster", True),
        (Op.ENDS_WITH, "poster", "qr-poster", True),
        (Op.REGEX, r"^qr-\d+$", "qr-12", True),
        (Op.REGEX, r"^qr-\d+$", "qr-x", False),
        (Op.ONE_OF, "a|b|c", "b", True),
        (Op.ONE_OF, "a|b|c", "d", False),
        (Op.SOURCE_CATEGORY, "social", "linkedin", True),
        (Op.SOURCE_CATEGORY, "search", "linkedin", False),
    ],
)
def test_condition_operators(op: Op, value: str, source: str, expected: bool) -> None:
    assert Condition(Field.SOURCE, op, value).holds(Traffic(source, "")) is expected
