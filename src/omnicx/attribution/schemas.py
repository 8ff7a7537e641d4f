"""Contracts of the attribution domain: stage definitions and channel reports."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from omnicx.attribution.engine import Model
from omnicx.attribution.models import StageKey
from omnicx.kernel.text import PlainText

__all__ = ["Model", "StageKey"]


class StagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: StageKey
    label: str
    event_names: list[str]
    identify_trait: str | None = Field(description="identify calls carrying this trait count as the stage")
    value_property: str | None = Field(description="track property holding the conversion value")
    lookback_days: int


class StageUpdate(BaseModel):
    label: PlainText | None = Field(default=None, min_length=1, max_length=120)
    event_names: list[PlainText] | None = Field(default=None, max_length=20)
    identify_trait: PlainText | None = Field(default=None, max_length=64)
    value_property: PlainText | None = Field(default=None, max_length=64)
    lookback_days: int | None = Field(default=None, ge=1, le=365)


class ReportQuery(BaseModel):
    """A report request: a date range in the workspace's calendar, a model, and the Markov order."""

    date_from: date = Field(ge=date(2000, 1, 1), le=date(2099, 12, 31))
    date_to: date = Field(ge=date(2000, 1, 1), le=date(2099, 12, 31), description="inclusive")
    model: Model = Model.MARKOV
    order: int = Field(default=1, ge=1, le=3)
    lookback_days: int | None = Field(default=None, ge=1, le=365, description="overrides each stage's window")


class StageCredit(BaseModel):
    """Conversions and value a channel earns for one stage, by first touch, last touch and the chosen model."""

    first: float = 0.0
    last: float = 0.0
    model: float = 0.0
    value_first: float = 0.0
    value_last: float = 0.0
    value_model: float = 0.0
    removal_effect: float | None = None


class ChannelRow(BaseModel):
    channel: str
    sessions: int
    stages: dict[StageKey, StageCredit]
    conversion_rate: dict[StageKey, float | None] = Field(
        description="model-credited conversions per session of this channel"
    )


class StageTotals(BaseModel):
    conversions: float
    value: float
    converting_paths: int
    null_paths: int
    conversion_probability: float | None = None


class AttributionReport(BaseModel):
    workspace_id: uuid.UUID
    date_from: date
    date_to: date
    timezone: str
    model: Model
    order: int
    stages: list[StagePublic]
    channels: list[ChannelRow]
    totals: dict[StageKey, StageTotals]
    sessions: int


class ModelColumn(BaseModel):
    model: Model
    conversions: dict[str, float]
    value: dict[str, float]


class ModelComparisonPublic(BaseModel):
    """Every model side by side for one stage: channel credits per model."""

    stage: StageKey
    date_from: date
    date_to: date
    channels: list[str]
    models: list[ModelColumn]


class DailyConversions(BaseModel):
    """Conversions of one stage on one day (workspace time zone), counted exactly as the report counts them."""

    day: date
    stage: StageKey
    conversions: int
    value: float
