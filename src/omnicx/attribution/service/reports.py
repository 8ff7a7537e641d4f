"""Channel reports: sessions and, per conversion stage, credit by first touch, last touch and a chosen model.

Reads go through the analytics copy (`inputs.py`), where every row carries its current customer (merged
customers are one journey); all modelling happens in the pure engine.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from omnicx.attribution.engine import AttributionResult, Model, ModelOptions, PathSet, run_model
from omnicx.attribution.errors import AttributionParameterError
from omnicx.attribution.paths import BuiltPaths
from omnicx.attribution.schemas import (
    AttributionReport,
    ChannelRow,
    DailyConversions,
    ModelColumn,
    ModelComparisonPublic,
    ReportQuery,
    StageCredit,
    StageKey,
    StagePublic,
    StageTotals,
)
from omnicx.attribution.service import inputs
from omnicx.attribution.service.stages import list_stages
from omnicx.auth import service as auth_service
from omnicx.kernel.dates import day_bounds

MAX_RANGE_DAYS = 366


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today included."""
    end = today or date.today()
    return end - timedelta(days=29), end


def _bounds(query_from: date, query_to: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC for an inclusive range of calendar days in the workspace's time zone."""
    if query_to < query_from:
        raise AttributionParameterError("the range ends before it starts")
    if (query_to - query_from).days >= MAX_RANGE_DAYS:
        raise AttributionParameterError(f"a report covers at most {MAX_RANGE_DAYS} days")
    return day_bounds(query_from, query_to, tz)


def _run(paths: PathSet, model: Model, order: int) -> AttributionResult | None:
    if paths.conversions.sum() <= 0:
        return None
    return run_model(paths, model, options=ModelOptions(order=order))


class _StageRun:
    """The three results a report shows for one stage, and the totals they share."""

    def __init__(self, paths: PathSet, converting: int, nulls: int, model: Model, order: int) -> None:
        self.first = _run(paths, Model.FIRST, order)
        self.last = _run(paths, Model.LAST, order)
        self.model = _run(paths, model, order)
        markov = self.model.markov if self.model is not None else None
        self.totals = StageTotals(
            conversions=float(paths.conversions.sum()),
            value=float(paths.value.sum()),
            converting_paths=converting,
            null_paths=nulls,
            conversion_probability=markov.conversion_probability if markov is not None else None,
        )

    def credit(self, channel: str) -> StageCredit:
        first = _credit(self.first, channel)
        last = _credit(self.last, channel)
        chosen = _credit(self.model, channel)
        effect = None
        if (
            self.model is not None
            and self.model.removal_effects is not None
            and channel in self.model.channels
        ):
            effect = self.model.credit(channel).removal_effect
        return StageCredit(
            first=first[0],
            last=last[0],
            model=chosen[0],
            value_first=first[1],
            value_last=last[1],
            value_model=chosen[1],
            removal_effect=effect,
        )

    def channels(self) -> set[str]:
        return {c for r in (self.first, self.last, self.model) if r is not None for c in r.channels}


def _credit(result: AttributionResult | None, channel: str) -> tuple[float, float]:
    if result is None or channel not in result.channels:
        return 0.0, 0.0
    credit = result.credit(channel)
    return credit.conversions, credit.value


def _paths(
    session: Session,
    workspace_id: uuid.UUID,
    stages: list[StagePublic],
    query: ReportQuery,
    start: datetime,
    end: datetime,
    *,
    with_times: bool,
    tz: str,
) -> dict[StageKey, BuiltPaths]:
    """Every stage's paths: one engine statement per lookback the stages use (the touches it reads)."""
    by_lookback: dict[int, list[StagePublic]] = {}
    for stage in stages:
        by_lookback.setdefault(query.lookback_days or stage.lookback_days, []).append(stage)
    found: dict[StageKey, BuiltPaths] = {}
    for days, group in by_lookback.items():
        found |= inputs.paths(
            session,
            workspace_id=workspace_id,
            stages=group,
            range_start=start,
            range_end=end,
            lookback=timedelta(days=days),
            with_times=with_times,
            tz=tz,
        )
    return found


def _stage_runs(
    session: Session,
    workspace_id: uuid.UUID,
    query: ReportQuery,
    start: datetime,
    end: datetime,
    tz: str,
) -> tuple[list[StagePublic], dict[StageKey, _StageRun]]:
    stages = list_stages(session, workspace_id=workspace_id)
    timed = query.model is Model.TIME_DECAY
    built = _paths(session, workspace_id, stages, query, start, end, with_times=timed, tz=tz)
    runs = {
        stage.key: _StageRun(
            built[stage.key].paths,
            built[stage.key].converting,
            built[stage.key].nulls,
            query.model,
            query.order,
        )
        for stage in stages
    }
    return stages, runs


def report(session: Session, *, workspace_id: uuid.UUID, query: ReportQuery) -> AttributionReport:
    """Per channel: sessions, and per stage the credit by first touch, last touch and `query.model`."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    start, end = _bounds(query.date_from, query.date_to, workspace.timezone)
    stages, runs = _stage_runs(session, workspace_id, query, start, end, workspace.timezone)
    sessions = inputs.session_counts(session, workspace_id=workspace_id, since=start, until=end)
    names = set(sessions) | {c for run in runs.values() for c in run.channels()}
    rows = []
    for channel in names:
        credits = {key: run.credit(channel) for key, run in runs.items()}
        count = sessions.get(channel, 0)
        rates = {key: (credit.model / count if count else None) for key, credit in credits.items()}
        rows.append(ChannelRow(channel=channel, sessions=count, stages=credits, conversion_rate=rates))
    rows.sort(key=lambda r: (-r.sessions, -r.stages[StageKey.SALE].model, r.channel))
    return AttributionReport(
        workspace_id=workspace_id,
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=workspace.timezone,
        model=query.model,
        order=query.order,
        stages=stages,
        channels=rows,
        totals={key: run.totals for key, run in runs.items()},
        sessions=sum(sessions.values()),
    )


def compare_models_for_stage(
    session: Session, *, workspace_id: uuid.UUID, query: ReportQuery, stage: StageKey
) -> ModelComparisonPublic:
    """Every model side by side for one stage and range (Markov at `query.order`)."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    start, end = _bounds(query.date_from, query.date_to, workspace.timezone)
    stages = list_stages(session, workspace_id=workspace_id)
    chosen = next(s for s in stages if s.key is stage)
    built = _paths(
        session, workspace_id, [chosen], query, start, end, with_times=True, tz=workspace.timezone
    )[stage]
    columns = []
    channels: set[str] = set()
    for model in Model:
        result = _run(built.paths, model, query.order)
        credits = {c.channel: (c.conversions, c.value) for c in result.credits()} if result else {}
        channels |= set(credits)
        columns.append(
            ModelColumn(
                model=model,
                conversions={k: v[0] for k, v in credits.items()},
                value={k: v[1] for k, v in credits.items()},
            )
        )
    return ModelComparisonPublic(
        stage=stage,
        date_from=query.date_from,
        date_to=query.date_to,
        channels=sorted(channels),
        models=columns,
    )


def daily_conversions(
    session: Session, *, workspace_id: uuid.UUID, date_from: date, date_to: date
) -> list[DailyConversions]:
    """Per day and stage: conversions and value, for trend charts.

    Counted by the same rules as `report` (contacts and qualified leads once per identity-resolved customer, at
    their first occurrence; every sale), so a range's daily points add up to the report's stage totals.
    """
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    start, end = _bounds(date_from, date_to, workspace.timezone)
    stages = list_stages(session, workspace_id=workspace_id)
    points = [
        DailyConversions(day=day, stage=stage.key, conversions=count, value=round(value, 2))
        for stage in stages
        for day, count, value in inputs.daily(
            session,
            workspace_id=workspace_id,
            stage=stage,
            range_start=start,
            range_end=end,
            tz=workspace.timezone,
        )
    ]
    return sorted(points, key=lambda p: (p.day, p.stage))
