"""Contracts of the Overview: a date range in, per-channel numbers, trends, inbox and stock status out."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field, model_validator

from omnicx.commerce.schemas import StockPublic
from omnicx.tracking.schemas import ProcessingBacklog


class Section(StrEnum):
    """Parts of the Overview; each is shown only to roles allowed to read its source."""

    CHANNELS = "channels"
    INBOX = "inbox"
    SERVICE = "service"
    STOCK = "stock"
    PROCESSING = "processing"


#: Longest range one Overview covers (the attribution report's own limit).
MAX_RANGE_DAYS = 366


class OverviewQuery(BaseModel):
    date_from: date = Field(ge=date(2000, 1, 1), le=date(2099, 12, 31))
    date_to: date = Field(ge=date(2000, 1, 1), le=date(2099, 12, 31), description="inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> OverviewQuery:
        if self.date_to < self.date_from:
            raise ValueError("the range ends before it starts")
        if (self.date_to - self.date_from).days >= MAX_RANGE_DAYS:
            raise ValueError(f"an overview covers at most {MAX_RANGE_DAYS} days")
        return self


class StageNumbers(BaseModel):
    """Contacts, qualified leads, sales and sales revenue credited to a channel by one model."""

    contacts: float = 0.0
    qualified: float = 0.0
    sales: float = 0.0
    revenue: float = 0.0


class ChannelSummary(BaseModel):
    channel: str
    sessions: int
    first_touch: StageNumbers
    last_touch: StageNumbers


class TrendPoint(BaseModel):
    """One day (workspace time zone) of one series: a channel's sessions, or a stage's conversions."""

    day: date
    series: str
    value: float


class InboxStatus(BaseModel):
    """The inbox right now: conversations not resolved, per channel, and their SLA clocks."""

    open_by_channel: dict[str, int]
    sla_on_track: int
    sla_warning: int
    sla_breached: int


class ServiceSummary(BaseModel):
    """How the team served the conversations started in the range (the Inbox report's totals)."""

    conversations: int
    resolved: int
    first_response_median_seconds: float | None
    sla_hit_rate: float | None


class OverviewPublic(BaseModel):
    date_from: date
    date_to: date
    timezone: str
    sections: list[Section]
    sessions: int = 0
    totals: StageNumbers = Field(default_factory=StageNumbers)
    currency: str | None = Field(
        default=None,
        description="ISO 4217 code of the revenue figures: the currency most of the workspace's orders were "
        "placed in (in the range, else ever); none when it has no orders.",
    )
    channels: list[ChannelSummary] = Field(default_factory=list)
    sessions_trend: list[TrendPoint] = Field(default_factory=list)
    conversions_trend: list[TrendPoint] = Field(default_factory=list)
    revenue_trend: list[TrendPoint] = Field(default_factory=list)
    inbox: InboxStatus | None = None
    service: ServiceSummary | None = None
    stock_alerts: list[StockPublic] | None = None
    processing: ProcessingBacklog | None = Field(
        default=None, description="Events collected but not processed yet: the processing backlog, right now."
    )


# --- The CX scorecard -------------------------------------------------------------------------------------------


class ScoreMetric(StrEnum):
    """What the scorecard measures per touchpoint (times in seconds, rates 0-1, revenue in major units)."""

    VOLUME = "volume"
    CUSTOMERS = "customers"
    CSAT = "csat"
    NPS = "nps"
    SENTIMENT = "sentiment"
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    SLA = "sla"
    CONVERSIONS = "conversions"
    REVENUE = "revenue"


class TouchpointKind(StrEnum):
    WEB = "web"
    APP = "app"
    INBOX = "inbox"
    STORE = "store"


class Flag(StrEnum):
    STRENGTH = "strength"
    WEAKNESS = "weakness"


class BenchmarkPublic(BaseModel):
    metric: ScoreMetric
    value: float | None = Field(description="The target; null: none (the metric is shown, never flagged).")
    higher_is_better: bool
    source: str = Field(description="Where the default comes from, or that the workspace set it.")
    custom: bool = Field(description="Set by the workspace (else the default).")


class BenchmarkUpdate(BaseModel):
    value: float | None = Field(default=None, ge=0, le=10**12, description="Null: back to the default.")


class ScoreCell(BaseModel):
    value: float | None
    previous: float | None = Field(description="The same metric over the period before, as long.")
    change: float | None = Field(description="value - previous; null when either is missing.")
    flag: Flag | None = Field(
        description="Against the benchmark: a strength when it meets it, else a weakness."
    )


class ScoreRow(BaseModel):
    """One touchpoint: the website, the app, an inbox channel or a store."""

    key: str = Field(description="`web`, `app`, `inbox:<channel>` or `store:<location id>`.")
    kind: TouchpointKind
    label: str
    volume_unit: str = Field(description="What the volume counts: `orders` or `conversations`.")
    conversions_basis: str = Field(
        description="`orders` (placed at this touchpoint) or `attributed` (linear credit for sales)."
    )
    cells: dict[ScoreMetric, ScoreCell]


class Scorecard(BaseModel):
    start: date
    end: date
    previous_start: date
    previous_end: date
    currency: str | None = Field(description="Revenue is in this currency (the one with the most orders).")
    rows: list[ScoreRow]
    benchmarks: list[BenchmarkPublic]
