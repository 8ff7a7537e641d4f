"""Channel grouping as data: GA4's default channel group plus a workspace's own rules, first match wins.

Pure: no database. A rule is a channel name and a condition tree (`any_of` groups, each a set of conditions
that must all hold), so GA4's definitions below read like Google's table and custom rules use the very same
shape. Matching is case-insensitive, as in GA4. Reference:
https://support.google.com/analytics/answer/9756891.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from omnicx.tracking.grouping_sources import SEARCH_SOURCES, SHOPPING_SOURCES, SOCIAL_SOURCES, VIDEO_SOURCES

UNASSIGNED = "Unassigned"


class Field(StrEnum):
    SOURCE = "source"
    MEDIUM = "medium"
    CAMPAIGN = "campaign"


class Op(StrEnum):
    EQUALS = "equals"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    REGEX = "regex"
    ONE_OF = "one_of"
    SOURCE_CATEGORY = "source_category"


class SourceCategory(StrEnum):
    SEARCH = "search"
    SHOPPING = "shopping"
    SOCIAL = "social"
    VIDEO = "video"


CATEGORY_SOURCES: dict[str, frozenset[str]] = {
    SourceCategory.SEARCH: SEARCH_SOURCES,
    SourceCategory.SHOPPING: SHOPPING_SOURCES,
    SourceCategory.SOCIAL: SOCIAL_SOURCES,
    SourceCategory.VIDEO: VIDEO_SOURCES,
}


@dataclass(frozen=True)
class Traffic:
    """What a visit's channel is decided from: its source, medium and campaign name (may be empty)."""

    source: str
    medium: str
    campaign: str = ""


@dataclass(frozen=True)
class Condition:
    """`field op value`; `value` is a regex for REGEX, `|`-separated for ONE_OF, a category for
    SOURCE_CATEGORY."""

    field: Field
    op: Op
    value: str

    def holds(self, traffic: Traffic) -> bool:
        actual: str = str(getattr(traffic, self.field.value)).strip().lower()
        wanted = self.value.lower()
        match self.op:
            case Op.EQUALS:
                return actual == wanted
            case Op.CONTAINS:
                return wanted in actual
            case Op.STARTS_WITH:
                return actual.startswith(wanted)
            case Op.ENDS_WITH:
                return actual.endswith(wanted)
            case Op.REGEX:
                return _compiled(self.value).search(actual) is not None
            case Op.ONE_OF:
                return actual in {part.strip() for part in wanted.split("|")}
            case Op.SOURCE_CATEGORY:
                return actual in CATEGORY_SOURCES.get(wanted, frozenset())
        return False


@dataclass(frozen=True)
class Rule:
    """Assign `channel` when every condition of at least one group in `any_of` holds."""

    channel: str
    any_of: tuple[tuple[Condition, ...], ...]

    def matches(self, traffic: Traffic) -> bool:
        return any(all(c.holds(traffic) for c in group) for group in self.any_of)


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def valid_regex(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _c(field: Field, op: Op, value: str) -> Condition:
    return Condition(field, op, value)


PAID_MEDIUM = _c(Field.MEDIUM, Op.REGEX, r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOP_CAMPAIGN = _c(Field.CAMPAIGN, Op.REGEX, r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
EMAIL = r"email|e-mail|e_mail|e mail"


def _source_in(category: SourceCategory) -> Condition:
    return _c(Field.SOURCE, Op.SOURCE_CATEGORY, category.value)


# GA4's default channel group, in GA4's evaluation order.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "Direct",
        ((_c(Field.SOURCE, Op.EQUALS, "(direct)"), _c(Field.MEDIUM, Op.ONE_OF, "(not set)|(none)")),),
    ),
    Rule("Cross-network", ((_c(Field.CAMPAIGN, Op.CONTAINS, "cross-network"),),)),
    Rule("Paid Shopping", ((_source_in(SourceCategory.SHOPPING), PAID_MEDIUM), (SHOP_CAMPAIGN, PAID_MEDIUM))),
    Rule("Paid Search", ((_source_in(SourceCategory.SEARCH), PAID_MEDIUM),)),
    Rule("Paid Social", ((_source_in(SourceCategory.SOCIAL), PAID_MEDIUM),)),
    Rule("Paid Video", ((_source_in(SourceCategory.VIDEO), PAID_MEDIUM),)),
    Rule("Display", ((_c(Field.MEDIUM, Op.ONE_OF, "display|banner|expandable|interstitial|cpm"),),)),
    Rule("Paid Other", ((PAID_MEDIUM,),)),
    Rule("Organic Shopping", ((_source_in(SourceCategory.SHOPPING),), (SHOP_CAMPAIGN,))),
    Rule(
        "Organic Social",
        (
            (_source_in(SourceCategory.SOCIAL),),
            (
                _c(
                    Field.MEDIUM,
                    Op.ONE_OF,
                    "social|social-network|social-media|sm|social network|social media",
                ),
            ),
        ),
    ),
    Rule(
        "Organic Video",
        ((_source_in(SourceCategory.VIDEO),), (_c(Field.MEDIUM, Op.REGEX, r"^(.*video.*)$"),)),
    ),
    Rule("Organic Search", ((_source_in(SourceCategory.SEARCH),), (_c(Field.MEDIUM, Op.EQUALS, "organic"),))),
    Rule("Referral", ((_c(Field.MEDIUM, Op.ONE_OF, "referral|app|link"),),)),
    Rule("Email", ((_c(Field.SOURCE, Op.REGEX, EMAIL),), (_c(Field.MEDIUM, Op.REGEX, EMAIL),))),
    Rule("Affiliates", ((_c(Field.MEDIUM, Op.EQUALS, "affiliate"),),)),
    Rule("Audio", ((_c(Field.MEDIUM, Op.EQUALS, "audio"),),)),
    Rule("SMS", ((_c(Field.SOURCE, Op.EQUALS, "sms"),), (_c(Field.MEDIUM, Op.EQUALS, "sms"),))),
    Rule(
        "Mobile Push Notifications",
        (
            (_c(Field.MEDIUM, Op.ENDS_WITH, "push"),),
            (_c(Field.MEDIUM, Op.REGEX, "mobile|notification"),),
            (_c(Field.SOURCE, Op.EQUALS, "firebase"),),
        ),
    ),
)

DEFAULT_CHANNELS: tuple[str, ...] = (*(rule.channel for rule in DEFAULT_RULES), UNASSIGNED)


def classify(traffic: Traffic, custom_rules: Sequence[Rule] = ()) -> str:
    """The channel of `traffic`: the workspace's rules first, then GA4's defaults, else Unassigned."""
    for rule in (*custom_rules, *DEFAULT_RULES):
        if rule.matches(traffic):
            return rule.channel
    return UNASSIGNED


def custom_rule(channel: str, conditions: Sequence[Condition]) -> Rule:
    """A workspace rule: all `conditions` must hold (one group)."""
    return Rule(channel, (tuple(conditions),))
