"""Every report moved onto the analytics copy gives the numbers it gave when it read the store of record, on the
seeded demo world: the Overview, the attribution report (each model), the model comparison, daily conversions,
the inbox report."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from omnicx.analytics import service as analytics_service
from omnicx.attribution import service as attribution_service
from omnicx.attribution.schemas import Model, ReportQuery, StageKey
from omnicx.attribution.service import inputs
from omnicx.customers import service as customers_service
from omnicx.inbox import service as inbox_service
from omnicx.kernel.runtime import Runtime
from omnicx.overview import service as overview_service
from omnicx.overview.schemas import OverviewQuery, Section
from omnicx.overview.service import summary
from tests.analytics import oracle, oracle_inbox
from tests.demo.test_world import NOW, seed

END = NOW.date()


def _rounded(value: Any) -> Any:
    """Floats to 9 decimals: paths reach the models in another order, so sums may differ in the last bits."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _reports(runtime: Runtime, workspace_id: uuid.UUID) -> dict[str, Any]:
    with runtime.sessions() as session:
        found: dict[str, Any] = {
            "overview": overview_service.overview(
                session,
                workspace_id=workspace_id,
                query=OverviewQuery(date_from=END - timedelta(days=29), date_to=END),
                sections=set(Section),
            ),
            "daily": attribution_service.daily_conversions(
                session, workspace_id=workspace_id, date_from=END - timedelta(days=89), date_to=END
            ),
            "compare": attribution_service.compare_models_for_stage(
                session,
                workspace_id=workspace_id,
                query=ReportQuery(date_from=END - timedelta(days=89), date_to=END),
                stage=StageKey.SALE,
            ),
        }
        for days in (0, 6, 89):
            found[f"inbox {days}"] = inbox_service.report(
                session, workspace_id=workspace_id, start=END - timedelta(days=days), end=END, now=NOW
            )
        for model in (Model.MARKOV, Model.SHAPLEY, Model.TIME_DECAY):
            query = ReportQuery(date_from=END - timedelta(days=89), date_to=END, model=model)
            found[model.value] = attribution_service.report(session, workspace_id=workspace_id, query=query)
    return {
        name: _rounded(
            report.model_dump(mode="json")
            if hasattr(report, "model_dump")
            else [r.model_dump(mode="json") for r in report]
        )
        for name, report in found.items()
    }


def _from_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "paths", oracle.paths)
    monkeypatch.setattr(inputs, "daily", oracle.daily)
    monkeypatch.setattr(inputs, "session_counts", oracle.session_counts)
    monkeypatch.setattr(summary, "_sessions_per_day", oracle.sessions_per_day)
    monkeypatch.setattr(inbox_service, "report", oracle_inbox.inbox_report)


def test_reports_on_the_copy_equal_reports_on_the_store(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace_id, _ = seed(runtime)
    analytics_service.sync(runtime)
    engine = _reports(runtime, workspace_id)  # type: ignore[arg-type]
    with monkeypatch.context() as patch:
        _from_the_store(patch)
        store = _reports(runtime, workspace_id)  # type: ignore[arg-type]
    assert engine["overview"]["sessions"] > 100 and engine["markov"]["totals"]["sale"]["conversions"] > 5
    inbox = engine["inbox 89"]
    assert inbox["totals"]["conversations"] > 10 and inbox["totals"]["sla_hit_rate"] is not None
    assert len(inbox["by_agent"]) > 1 and inbox["totals"]["resolution_median_seconds"]
    for name in store:
        assert engine[name] == store[name], name
    assert date.fromisoformat(engine["overview"]["date_to"]) == END


def test_the_customer_list_channel_filter_on_the_copy_equals_the_store(runtime: Runtime) -> None:
    workspace_id, _ = seed(runtime)
    analytics_service.sync(runtime)
    with runtime.sessions() as session:
        channels = sorted(
            {
                row[0]
                for row in analytics_service.query(
                    session,
                    workspace_id=workspace_id,
                    sql="SELECT DISTINCT channel FROM touchpoints",  # type: ignore[arg-type]
                )
            }
        )
        assert len(channels) >= 5
        found = 0
        for channel in channels:
            engine = customers_service.list_customers(
                session, workspace_id=workspace_id, channel=channel, limit=500
            )  # type: ignore[arg-type]
            store = set(
                session.scalars(oracle.customers_by_first_touch_channel(session, workspace_id, channel))
            )  # type: ignore[arg-type]
            assert engine.total == len(store), channel
            found += len(store) > 0
            assert {c.id for c in engine.items} == store, channel
    assert found >= 3  # several channels bring first touches


def test_the_overview_finds_each_stage_s_conversions_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's path statement also counts conversions per day; the trend reads them from the memo."""
    workspace_id, _ = seed(runtime)
    analytics_service.sync(runtime)
    seen: list[str] = []
    real = analytics_service.query

    def counting(session: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["sql"])
        return real(session, **kwargs)

    monkeypatch.setattr(analytics_service, "query", counting)
    with runtime.sessions() as session:
        overview = overview_service.overview(
            session,
            workspace_id=workspace_id,  # type: ignore[arg-type]
            query=OverviewQuery(date_from=END - timedelta(days=29), date_to=END),
            sections={Section.CHANNELS},
        )
    assert overview.conversions_trend and sum(p.value for p in overview.conversions_trend) > 0
    assert seen.count(inputs.PATHS) == 1 and inputs.DAILY not in seen  # one statement for the three stages
