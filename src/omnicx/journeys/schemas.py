"""What the journeys API takes and returns."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from omnicx.journeys.errors import InvalidFunnel, InvalidJourneyMap
from omnicx.kernel.text import PlainText

MAX_STEPS = 8
MAX_WINDOW_HOURS = 90 * 24


class StepKind(StrEnum):
    EVENT = "event"  # a track call by its name (`Product Viewed`)
    PAGE = "page"  # a page view whose address contains the text (`/checkout`)


class FunnelMode(StrEnum):
    """How the steps must follow one another (PostHog's funnel orders)."""

    ORDERED = "ordered"  # each step after the previous one, other events in between allowed
    STRICT = "strict"  # each step the customer's very next event after the previous one
    ANY = "any"  # the steps in any order: step k counts customers who did k of them


class FunnelBreakdown(StrEnum):
    """What the funnel is broken down by, per customer at entry."""

    FIRST_TOUCH = "first_touch"  # the channel of their first touchpoint ever
    CHANNEL = "channel"  # the channel of the visit they entered the funnel in
    DEVICE = "device"  # that visit's device category
    PROPERTY = "property"  # a property of the event they entered with


class FunnelStep(BaseModel):
    """One step: an event by its exact name, or a page view whose address contains a text."""

    kind: StepKind
    match: str = Field(min_length=1, max_length=200)

    @property
    def label(self) -> str:
        return f"{self.kind.value}: {self.match}"

    @property
    def as_text(self) -> str:
        """The step as `parse` reads it."""
        return f"{self.kind.value}:{self.match}"

    @classmethod
    def parse(cls, text: str) -> FunnelStep:
        """A step as the API's `step` parameter and the CLI write it: `event:Order Completed`, `page:/cart`."""
        kind, sep, match = text.partition(":")
        if not sep or kind.strip() not in {k.value for k in StepKind} or not match.strip():
            raise InvalidFunnel(f"a step is `event:<name>` or `page:<address text>`, not {text[:80]!r}")
        return cls(kind=StepKind(kind.strip()), match=match.strip())


class FunnelQuery(BaseModel):
    """A funnel: customers whose first event of step 1 falls in the range (inclusive days, workspace time
    zone), then who did each next step after the previous one, within `window_hours` of step 1. In `strict`
    mode each step must be the customer's next event; in `any` mode the steps may come in any order, a customer
    enters with their first event of any step and step k counts those who did k of the steps in the window."""

    steps: list[FunnelStep] = Field(min_length=2, max_length=MAX_STEPS)
    date_from: date
    date_to: date
    window_hours: int = Field(default=7 * 24, ge=1, le=MAX_WINDOW_HOURS)
    mode: FunnelMode = FunnelMode.ORDERED
    breakdown: FunnelBreakdown = FunnelBreakdown.FIRST_TOUCH
    breakdown_property: str | None = Field(
        default=None, max_length=64, description="The property of the entry event, with `breakdown=property`"
    )

    @classmethod
    def parse(cls, steps: list[str], **fields: Any) -> FunnelQuery:
        """The query as the API, the page and the CLI receive it (steps as `kind:match` texts, the other
        fields by name); InvalidFunnel, with the first problem, when it cannot be computed."""
        try:
            return cls(steps=[FunnelStep.parse(text) for text in steps], **fields)
        except ValidationError as error:
            raise InvalidFunnel(str(error.errors()[0]["msg"])) from None

    @model_validator(mode="after")
    def _ordered(self) -> FunnelQuery:
        if self.date_to < self.date_from:
            raise ValueError("the range ends before it starts")
        if self.breakdown is FunnelBreakdown.PROPERTY and not (self.breakdown_property or "").strip():
            raise ValueError("a breakdown by property needs the property's name")
        return self


class FunnelStepResult(BaseModel):
    position: int = Field(description="1 for the first step")
    label: str
    customers: int = Field(description="Customers who reached this step in order, within the window")
    share_of_first: float | None = Field(description="customers / customers of step 1")
    share_of_previous: float | None = Field(description="customers / customers of the previous step")
    dropped: int = Field(description="Customers of the previous step who did not reach this one")
    median_seconds_from_previous: float | None


class FunnelSegment(BaseModel):
    """The funnel for the customers of one value of the breakdown (a first-touch channel, a device...)."""

    key: str = Field(description="The value, or `(none)` for customers without one")
    customers: list[int] = Field(description="Customers per step, in step order")

    @property
    def conversion(self) -> float | None:
        return self.customers[-1] / self.customers[0] if self.customers and self.customers[0] else None


class FunnelDay(BaseModel):
    """The customers who entered the funnel on one day (workspace time zone) and those of them who completed it."""

    day: date
    entered: int
    completed: int

    @property
    def conversion(self) -> float | None:
        return self.completed / self.entered if self.entered else None


class FunnelResult(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    window_hours: int
    mode: FunnelMode = FunnelMode.ORDERED
    steps: list[FunnelStepResult]
    breakdown_by: FunnelBreakdown = FunnelBreakdown.FIRST_TOUCH
    breakdown_property: str | None = None
    breakdown: list[FunnelSegment] = Field(
        default=[], description="Per value of the breakdown, most customers at step 1 first"
    )
    trend: list[FunnelDay] = Field(default=[], description="Per day of entry, every day of the range")

    @property
    def conversion(self) -> float | None:
        """Customers of the last step over those of the first."""
        return self.steps[-1].share_of_first if self.steps else None


class UsageQuery(BaseModel):
    """Sessions started in an inclusive range of days (workspace time zone)."""

    date_from: date
    date_to: date

    @model_validator(mode="after")
    def _ordered(self) -> UsageQuery:
        if self.date_to < self.date_from:
            raise ValueError("the range ends before it starts")
        return self


class UsageCell(BaseModel):
    channel: str = Field(description="A channel, or `*` for all channels together")
    device: str = Field(default="*", description="A device category, or `*` for all (one of the two is `*`)")
    weekday: int = Field(ge=1, le=7, description="ISO weekday: 1 is Monday")
    hour: int = Field(ge=0, le=23)
    sessions: int


class UsageRow(BaseModel):
    key: str = Field(description="The device category or the channel")
    sessions: int
    customers: int
    bounce_rate: float | None
    engagement_rate: float | None
    median_duration_seconds: float | None
    mean_duration_seconds: float | None


class EntryPage(BaseModel):
    page: str = Field(description="The landing page: its path, or its address when the SDK sent no path")
    sessions: int
    bounce_rate: float


class ExitPage(BaseModel):
    page: str = Field(description="The page's path (no host, no query)")
    views: int
    exits: int = Field(description="Views that were the last page of a visit")

    @property
    def exit_rate(self) -> float | None:
        return self.exits / self.views if self.views else None


#: The buckets of days between a customer's visits: each one's lower bound in days (the last has none above it).
RETURN_BUCKETS = (0, 1, 2, 4, 7, 14, 30)


class ReturnBucket(BaseModel):
    from_days: int = Field(description="Returns at least this many days after the previous visit...")
    to_days: int | None = Field(description="... and less than this (none: no upper bound)")
    returns: int


#: The session duration buckets: each one's lower bound in seconds (the last has none above it).
DURATION_BUCKETS = (0, 10, 30, 60, 180, 600, 1800)


class DurationBucket(BaseModel):
    from_seconds: int = Field(description="Sessions lasting at least this long...")
    to_seconds: int | None = Field(description="... and less than this (none: no upper bound)")
    sessions: int


class UsageReport(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    heatmap: list[UsageCell] = Field(
        description="Sessions per channel, weekday and hour (empty cells left out)"
    )
    by_device: list[UsageRow]
    by_channel: list[UsageRow]
    visits_per_customer: dict[int, int] = Field(
        description="How many customers had 1, 2, 3... sessions in the range (10 counts 10 and more)"
    )
    entry_pages: list[EntryPage] = Field(default=[], description="The landing pages with the most sessions")
    durations: list[DurationBucket] = Field(default=[], description="Sessions by duration, every bucket")
    exit_pages: list[ExitPage] = Field(
        default=[],
        description="The pages that ended the most visits (page views only; a visit ends after the sessions' "
        "inactivity timeout)",
    )
    days_between_visits: list[ReturnBucket] = Field(
        default=[], description="A customer's sessions by the time since their previous one in the range"
    )


MAX_GAP_DAYS = 366


class OverlapQuery(BaseModel):
    """Touchpoints in an inclusive range of days (workspace time zone); a journey goes on while a customer's
    next touch comes within `gap_days` of the previous one."""

    date_from: date
    date_to: date
    gap_days: int = Field(default=30, ge=1, le=MAX_GAP_DAYS)

    @model_validator(mode="after")
    def _ordered(self) -> OverlapQuery:
        if self.date_to < self.date_from:
            raise ValueError("the range ends before it starts")
        return self


class ChannelCombination(BaseModel):
    """Customers whose touches in the range used exactly these channels."""

    channels: list[str] = Field(
        description="In alphabetical order; empty for purchasers with no touch before"
    )
    customers: int = Field(description="Customers whose touches in the range used exactly these channels")
    purchasers: int = Field(
        description="Customers whose touches up to their first purchase in the range (and no further back than "
        "the gap) used exactly these channels"
    )


class SwitchCell(BaseModel):
    """Moves from one touch of a customer to their next one within the gap."""

    from_channel: str
    to_channel: str
    moves: int
    share_of_from: float = Field(description="moves / every move out of `from_channel`")


class SpendRow(BaseModel):
    """What the customers who used a number of channels in the range bought in it, in one currency."""

    channels: int = Field(description="Channels used in the range: 1, 2, or 3 for three and more")
    currency: str
    online_buyers: int
    online_minor: int = Field(description="Sales online (every channel but the store), in minor units")
    store_buyers: int
    store_minor: int
    online_lift: float | None = Field(
        default=None,
        description="Online spend per buyer over single-channel customers' in this currency, minus 1",
    )
    store_lift: float | None = Field(
        default=None,
        description="Store spend per buyer over single-channel customers' in this currency, minus 1",
    )

    @property
    def online_per_buyer(self) -> float | None:
        return self.online_minor / self.online_buyers if self.online_buyers else None

    @property
    def store_per_buyer(self) -> float | None:
        return self.store_minor / self.store_buyers if self.store_buyers else None


class OverlapReport(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    gap_days: int
    customers_by_channels: dict[int, int] = Field(
        description="Customers with touches in the range by the channels they used: 1, 2, 3 (3 and more)"
    )
    combinations: list[ChannelCombination] = Field(description="Most customers first")
    purchasers: int = Field(description="Customers with a purchase in the range")
    switching: list[SwitchCell] = Field(description="Every (from, to) pair with moves, the same channel too")
    moving_customers: int = Field(description="Customers with at least one move (two touches within the gap)")
    switching_customers: int = Field(
        description="Of those, customers whose next touch was on another channel"
    )
    customers_with_sessions: int
    cross_device_customers: int = Field(
        description="Customers whose sessions came from two device categories+"
    )
    spend: list[SpendRow] = Field(description="Per number of channels used and currency, buyers only")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def customers(self) -> int:
        return sum(self.customers_by_channels.values())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def omnichannel_share(self) -> float | None:
        """Customers on two channels or more over every customer with a touch."""
        several = sum(n for count, n in self.customers_by_channels.items() if count >= 2)
        return several / self.customers if self.customers else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def switch_share(self) -> float | None:
        return self.switching_customers / self.moving_customers if self.moving_customers else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cross_device_share(self) -> float | None:
        total = self.customers_with_sessions
        return self.cross_device_customers / total if total else None


class PathItems(StrEnum):
    """What a path is made of."""

    ALL = "all"  # page views (by path) and track calls (by name)
    PAGES = "pages"
    EVENTS = "events"


MAX_PATH_STEPS = 8


class PathQuery(BaseModel):
    """Paths through the visits of an inclusive range of days (workspace time zone): from each visit's first
    item, from its first `start`, or up to its first `end` (one anchor at most), `steps` items long at most.
    An item is a page view, named by its path (`/cart`), or a track call, by its name (`Order Completed`)."""

    date_from: date
    date_to: date
    start: str | None = Field(
        default=None, max_length=200, description="Paths from a visit's first item of this name or page path"
    )
    end: str | None = Field(
        default=None, max_length=200, description="Paths up to a visit's first item of this name or page path"
    )
    steps: int = Field(default=5, ge=2, le=MAX_PATH_STEPS)
    items: PathItems = PathItems.ALL

    @model_validator(mode="after")
    def _one_anchor(self) -> PathQuery:
        if self.date_to < self.date_from:
            raise ValueError("the range ends before it starts")
        self.start = (self.start or "").strip() or None
        self.end = (self.end or "").strip() or None
        if self.start and self.end:
            raise ValueError("paths start at an item or end at one, not both")
        return self

    @property
    def anchor(self) -> str | None:
        return self.start or self.end


class PathNode(BaseModel):
    """An item at a step of the paths (step 1 is the start; with an `end`, the last step is the end)."""

    step: int
    label: str = Field(description="A page path or an event name; empty for the other items of the step")
    visits: int
    left: int = Field(description="Visits that ended with this item")


class PathLink(BaseModel):
    """Visits that went from an item at `step` to an item at the next step."""

    step: int
    source: str
    target: str
    visits: int


class PathStepEnd(BaseModel):
    """How many visits were at a step of the paths and how many ended there."""

    step: int
    visits: int
    left: int

    @property
    def share(self) -> float | None:
        return self.left / self.visits if self.visits else None


class PathRow(BaseModel):
    items: list[str]
    visits: int
    customers: int


class PathReport(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    start: str | None
    end: str | None
    steps: int
    items: PathItems
    visits: int = Field(description="Visits with a path (with an anchor: visits that reached it)")
    customers: int
    nodes: list[PathNode] = Field(
        description="Per step, its most frequent items, then the others together (label empty)"
    )
    links: list[PathLink] = Field(description="Between the nodes shown, most visits first")
    top_paths: list[PathRow] = Field(description="The most frequent whole paths, most visits first")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ends(self) -> list[PathStepEnd]:
        """Per step, its visits and those that ended there."""
        steps: dict[int, PathStepEnd] = {}
        for node in self.nodes:
            at = steps.setdefault(node.step, PathStepEnd(step=node.step, visits=0, left=0))
            at.visits += node.visits
            at.left += node.left
        return [steps[step] for step in sorted(steps)]


class SavedFunnelCreate(BaseModel):
    """A funnel to save under a name: its steps as the API's `step` parameter writes them."""

    name: PlainText = Field(min_length=1, max_length=120)
    steps: list[str] = Field(min_length=2, max_length=MAX_STEPS)
    window_hours: int = Field(default=7 * 24, ge=1, le=MAX_WINDOW_HOURS)
    mode: FunnelMode = FunnelMode.ORDERED

    @model_validator(mode="after")
    def _steps_parse(self) -> SavedFunnelCreate:
        self.name = self.name.strip()
        if not self.name:
            raise ValueError("a saved funnel needs a name")
        self.steps = [FunnelStep.parse(text).as_text for text in self.steps]
        return self


class SavedFunnelPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    steps: list[str]
    window_hours: int
    mode: FunnelMode
    created_by: str
    created_at: datetime


class StageRuleKind(StrEnum):
    """What marks a customer as reaching a journey stage."""

    VISIT = "visit"  # a session started
    EVENT = "event"  # a track call by its exact name
    PAGE = "page"  # a page view whose address contains the text
    ORDER = "order"  # `order:placed`: an order placed (not cancelled); `order:<status>`: an order now in it
    CONVERSATION = "conversation"  # a conversation opened; `conversation:<intent>`: opened with that intent


#: Rule kinds whose text is optional (`visit`, `conversation`) or fixed to the order statuses.
ORDER_STATUSES = ("placed", "paid", "ready_for_pickup", "picked_up", "shipped", "delivered", "returned")


class StageRule(BaseModel):
    kind: StageRuleKind
    match: str = Field(default="", max_length=200)

    @property
    def as_text(self) -> str:
        return f"{self.kind.value}:{self.match}" if self.match else self.kind.value

    @classmethod
    def parse(cls, text: str) -> StageRule:
        """A rule as written: `visit`, `event:Order Completed`, `page:/help`, `order:delivered`,
        `conversation` or `conversation:delivery`."""
        kind, _, match = text.strip().partition(":")
        kinds = {k.value for k in StageRuleKind}
        if kind.strip() not in kinds:
            raise InvalidJourneyMap(
                f"a stage rule starts with one of {', '.join(sorted(kinds))}: {text[:80]!r}"
            )
        rule = cls(kind=StageRuleKind(kind.strip()), match=match.strip())
        if rule.kind is StageRuleKind.VISIT and rule.match:
            raise InvalidJourneyMap("a `visit` rule takes no text")
        if rule.kind in (StageRuleKind.EVENT, StageRuleKind.PAGE) and not rule.match:
            raise InvalidJourneyMap(f"a `{rule.kind.value}` rule needs a text: `{rule.kind.value}:…`")
        if rule.kind is StageRuleKind.ORDER and rule.match not in ORDER_STATUSES:
            raise InvalidJourneyMap(
                f"an order rule is one of {', '.join(f'order:{s}' for s in ORDER_STATUSES)}"
            )
        return rule


MAX_STAGES = 8


class JourneyStage(BaseModel):
    """A stage of the journey map: its name and the rules that mark a customer as reaching it (any of them)."""

    name: PlainText = Field(min_length=1, max_length=60)
    rules: list[str] = Field(min_length=1, max_length=12)

    @model_validator(mode="after")
    def _rules_parse(self) -> JourneyStage:
        self.name = self.name.strip()
        if not self.name:
            raise ValueError("a stage needs a name")
        self.rules = [StageRule.parse(text).as_text for text in self.rules if text.strip()]
        if not self.rules:
            raise ValueError(f"stage {self.name!r} needs a rule")
        return self

    @property
    def parsed(self) -> list[StageRule]:
        return [StageRule.parse(text) for text in self.rules]


class JourneyMapSettings(BaseModel):
    """The workspace's journey map: its stages in order, and the pages whose repeated visits in a stage signal
    friction (addresses containing any of these texts)."""

    stages: list[JourneyStage] = Field(min_length=2, max_length=MAX_STAGES)
    friction_pages: list[str] = Field(default=[], max_length=12)

    @model_validator(mode="after")
    def _clean(self) -> JourneyMapSettings:
        self.friction_pages = [text.strip()[:200] for text in self.friction_pages if text.strip()]
        return self


class JourneyMapQuery(BaseModel):
    """Customers who reached the first stage in an inclusive range of days (workspace time zone)."""

    date_from: date
    date_to: date

    @model_validator(mode="after")
    def _ordered(self) -> JourneyMapQuery:
        if self.date_to < self.date_from:
            raise ValueError("the range ends before it starts")
        return self


class StageChannel(BaseModel):
    channel: str
    customers: int = Field(description="Customers with a touchpoint on this channel while in the stage")


class StageTouchpoint(BaseModel):
    kind: str = Field(
        description="The touchpoint kind: session (a visit), conversation, visit (in a store), ..."
    )
    customers: int = Field(description="Customers with a touchpoint of this kind while in the stage")
    touchpoints: int


class StageIntent(BaseModel):
    intent: str = Field(description="The detected intent; empty when none was detected")
    conversations: int


class StageResult(BaseModel):
    """One stage: who reached it, what they used while in it, how many went on, and where it hurt.

    A customer is in a stage from reaching it until reaching the next (or the end of the range)."""

    position: int = Field(description="1 for the first stage")
    name: str
    customers: int
    share_of_first: float | None
    conversion_to_next: float | None = Field(description="Customers reaching the next stage over this one's")
    dropped: int | None = Field(description="Customers who did not reach the next stage (none for the last)")
    median_seconds_in_stage: float | None = Field(description="Until reaching the next stage")
    channels: list[StageChannel]
    touchpoints: list[StageTouchpoint] = Field(description="The kinds of touchpoint used while in the stage")
    conversations: int = Field(description="Conversations opened while in the stage")
    contacting_customers: int
    intents: list[StageIntent]
    struggling_customers: int = Field(
        description="Customers who viewed the friction pages twice or more while in the stage"
    )


class JourneyMapReport(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    friction_pages: list[str]
    stages: list[StageResult]


class StageMetric(StrEnum):
    """The customers behind a journey map number."""

    REACHED = "reached"
    DROPPED = "dropped"  # reached the stage, not the next
    CONTACTING = "contacting"  # opened a conversation while in the stage
    STRUGGLING = "struggling"  # viewed the friction pages twice or more while in the stage
    CHANNEL = "channel"  # had a touchpoint on the channel `key` while in the stage
    TOUCHPOINT = "touchpoint"  # had a touchpoint of the kind `key` while in the stage
