"""Both engines give the same reports on the same data: the seeded demo world copied into DuckDB and into
ClickHouse's engine (chdb), every report that reads the copy asked through its real service function (the
Overview, attribution under several models, daily conversions, the inbox report, the customer list's channel
filter)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient

from omnicx.analytics import service as analytics_service
from omnicx.attribution.schemas import StageKey, StagePublic
from omnicx.attribution.service import inputs
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking import service as tracking_service
from tests.analytics.chdb_support import chdb_settings
from tests.analytics.test_reports_equal import END, _reports
from tests.conftest import World
from tests.demo.test_world import seed
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import T0, drain, send

#: Queries of the copy that no report service makes, asked of both engines as well (compared as sorted rows:
#: ClickHouse orders UUIDs by their halves, not as DuckDB does).
RAW = {
    "events": "SELECT id, person_id, type, event, timestamp, url FROM events",
    "sessions": "SELECT id, person_id, started_at, duration_seconds, bounced, page_views FROM sessions",
    "touchpoints": "SELECT id, person_id, touched_at, channel, kind, session_id FROM touchpoints",
    "persons": "SELECT count(DISTINCT person_id), count(DISTINCT customer_id) FROM events",
    # A grouping set leaves the columns it does not group by null (ClickHouse's default would be '').
    "grouping sets": "SELECT coalesce(channel, '(all)'), count(*) FROM sessions GROUP BY GROUPING SETS ((), (channel))",
}


def _answers(runtime: Runtime, workspace_id: uuid.UUID) -> dict[str, Any]:
    found = _reports(runtime, workspace_id)
    with runtime.sessions() as session:
        for name, sql in RAW.items():
            found[name] = sorted(analytics_service.query(session, workspace_id=workspace_id, sql=sql))
        found["by_channel"] = inputs.session_counts(
            session,
            workspace_id=workspace_id,
            since=datetime.combine(END - timedelta(days=89), time(), tzinfo=UTC),
            until=datetime.combine(END + timedelta(days=1), time(), tzinfo=UTC),
        )
        channels = sorted({row[3] for row in found["touchpoints"]})
        found["first touch"] = {
            channel: sorted(tracking_service.customers_by_first_touch_channel(session, workspace_id, channel))
            for channel in channels
        }
    return found


def test_reports_are_equal_on_duckdb_and_clickhouse(
    runtime: Runtime, settings: Settings, chdb_url: str
) -> None:
    workspace_id, _ = seed(runtime)
    analytics_service.sync(runtime)
    duck = _answers(runtime, workspace_id)  # type: ignore[arg-type]
    on_clickhouse = build_runtime(chdb_settings(settings, chdb_url))
    try:
        analytics_service.rebuild(on_clickhouse)
        with on_clickhouse.sessions() as session:
            assert analytics_service.status(session).engine == "clickhouse"
        clickhouse = _answers(on_clickhouse, workspace_id)  # type: ignore[arg-type]
    finally:
        on_clickhouse.close()
    assert duck["overview"]["sessions"] > 100 and duck["markov"]["totals"]["sale"]["conversions"] > 5
    assert sum(len(ids) for ids in duck["first touch"].values()) > 10
    for name in duck:
        assert clickhouse[name] == duck[name], name


#: Values a stage reads from JSON: numbers, numeric text, anything else (worth 0), and traits as Python's truth.
HUGE = 2**64 - 1  # beyond a signed 64-bit integer: DuckDB and ClickHouse call it unsigned
PROPERTY_VALUES: list[Any] = [40, 4.5, -3, "12.5", "abc", "inf", "NaN", True, None, [1], {"a": 1}, HUGE]
TRAIT_VALUES: list[Any] = [True, False, 0, 1, 0.0, "", "x", [], [0], {}, {"a": 1}, None]


def test_stages_read_json_alike_on_both_engines(
    client: TestClient, source: KeyedSource, runtime: Runtime, settings: Settings, chdb_url: str, world: World
) -> None:
    events: list[dict[str, Any]] = []
    for i, value in enumerate(PROPERTY_VALUES):
        properties = {"revenue": value, "odd/key~": value}
        minutes = -14 * 60 if value == HUGE else i  # a day of its own: its sum would swallow the others
        events.append(_at(minutes, {"type": "track", "event": "Order Completed", "properties": properties}))
    events.append(_at(99, {"type": "track", "event": "Order Completed", "properties": {}}))  # no value at all
    for i, value in enumerate(TRAIT_VALUES):
        events.append(_at(100 + i, {"type": "identify", "traits": {"lead": value}}))
    send(client, source, *events)
    drain(runtime)
    stages = [
        StagePublic(
            key=StageKey.SALE,
            label="sale",
            event_names=["Order Completed"],
            identify_trait=None,
            value_property=key,
            lookback_days=30,
        )
        for key in ("revenue", "odd/key~")
    ] + [
        StagePublic(
            key=StageKey.QUALIFIED,
            label="lead",
            event_names=[],
            identify_trait="lead",
            value_property=None,
            lookback_days=30,
        )
    ]
    duck = _daily(runtime, world.workspace.id, stages)
    assert [sum(n for _, n, _ in rows) for rows in duck] == [13, 13, 5]  # five traits are true to Python
    assert [value for _, _, value in duck[0]] == [float(HUGE), 40 + 4.5 - 3 + 12.5]  # the rest is worth 0
    on_clickhouse = build_runtime(chdb_settings(settings, chdb_url))
    try:
        analytics_service.rebuild(on_clickhouse)
        assert _daily(on_clickhouse, world.workspace.id, stages) == duck
    finally:
        on_clickhouse.close()


def _at(minutes: int, event: dict[str, Any]) -> dict[str, Any]:
    return {
        **event,
        "anonymousId": f"visitor-{minutes}",
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
    }


def _daily(runtime: Runtime, workspace_id: uuid.UUID, stages: list[StagePublic]) -> list[Any]:
    with runtime.sessions() as session:
        return [
            inputs.daily(
                session,
                workspace_id=workspace_id,
                stage=stage,
                range_start=T0 - timedelta(days=1),
                range_end=T0 + timedelta(days=1),
                tz="Europe/Paris",
            )
            for stage in stages
        ]
