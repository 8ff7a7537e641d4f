"""Every report moved onto the analytics copy gives the numbers it gave when it read the store of record, on the
seeded demo world: the Overview, the attribution report (each model), the model comparison, daily conversions."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from omnicx.analytics import service as analytics_service
from omnicx.attribution import service as attribution_service
from omnicx.attribution.schemas import Model, ReportQuery, StageKey
from omnicx.attribution.service import inputs
from omnicx.kernel.runtime import Runtime
from omnicx.overview import service as overview_service
from omnicx.overview.schemas import OverviewQuery, Section
from omnicx.overview.service import summary
from tests.analytics import oracle
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
    for name in store:
        assert engine[name] == store[name], name
    assert date.fromisoformat(engine["overview"]["date_to"]) == END
