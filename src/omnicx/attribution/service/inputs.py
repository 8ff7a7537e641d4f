"""What attribution reads, from the analytics copy: a stage's paths, its conversions per day, session counts.

Every row comes with `person_id`, the customer it belongs to now (merged customers are one journey), so no
identity look-up follows. A stage's conversions are a view (`CONVERSION`) the path and daily queries read in the
engine: Python receives distinct paths and daily totals, never events or touches.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.attribution.engine import Path, PathSet
from omnicx.attribution.paths import MAX_TOUCHES, UNATTRIBUTED, BuiltPaths
from omnicx.attribution.schemas import StageKey, StagePublic
from omnicx.kernel.db import transaction_memo
from omnicx.kernel.text import json_pointer

#: A stage's conversions in [$since, $until): track events by name, identify calls setting its trait (as Python's
#: truth has it: not null, false, 0, "", [] or {}); the value read from a property (a number, or text holding
#: one; anything else, or not finite, is 0); with `$once`, each customer's first only.
CONVERSION = """
WITH candidate AS (
    SELECT person_id, timestamp, id, type,
           json_extract(traits, CAST($trait AS VARCHAR)) AS v,
           json_extract(properties, CAST($property AS VARCHAR)) AS raw,
           json_extract_string(properties, CAST($property AS VARCHAR)) AS raw_text
    FROM events
    WHERE timestamp >= $since AND timestamp < $until AND customer_id IS NOT NULL
      AND ((type = 'track' AND event IN (SELECT unnest(CAST($names AS VARCHAR[]))))
           OR (type = 'identify' AND $trait IS NOT NULL))
),
matched AS (
    SELECT person_id, timestamp, id,
           CASE json_type(raw)
               WHEN 'VARCHAR' THEN TRY_CAST(raw_text AS DOUBLE)
               WHEN 'BIGINT' THEN CAST(CAST(raw AS VARCHAR) AS DOUBLE)
               WHEN 'UBIGINT' THEN CAST(CAST(raw AS VARCHAR) AS DOUBLE)
               WHEN 'DOUBLE' THEN CAST(CAST(raw AS VARCHAR) AS DOUBLE)
           END AS number,
           row_number() OVER (PARTITION BY person_id ORDER BY timestamp, id) AS nth
    FROM candidate
    WHERE type = 'track' OR coalesce(CASE json_type(v)
        WHEN 'NULL' THEN false
        WHEN 'BOOLEAN' THEN CAST(v AS VARCHAR) = 'true'
        WHEN 'VARCHAR' THEN CAST(v AS VARCHAR) <> '""'
        WHEN 'ARRAY' THEN CAST(v AS VARCHAR) <> '[]'
        WHEN 'OBJECT' THEN CAST(v AS VARCHAR) <> '{}'
        ELSE TRY_CAST(CAST(v AS VARCHAR) AS DOUBLE) <> 0 END, false)
)
SELECT row_number() OVER (ORDER BY timestamp, id) AS n, person_id AS person, timestamp AS converted_at,
       CASE WHEN isfinite(number) THEN number ELSE 0.0 END AS value
FROM matched
WHERE (nth = 1 OR NOT $once) AND timestamp >= $range_start
"""

#: Several stages' paths in one statement (`conversion` holds every stage's conversions, `stage` telling which):
#: one path per conversion in the range (its customer's touches in the lookback before it, the last fifty) and
#: one per customer who touched a channel in the range's last lookback without converting in that stage (a null
#: path); identical paths grouped, each group listing its paths' touch times when the model needs them. The
#: touches are read, and the customers' idle lists built, once for all the stages. The same statement counts
#: each stage's conversions per day (`kind` 'day'): a page showing the report and the trend (the Overview)
#: reads those from the transaction's memo.
#: Written to mean the same on ClickHouse (see `analytics.dialect`): a conversion without touches is
#: found by the length of its list (null on DuckDB, empty on ClickHouse).
PATHS = """
WITH touch AS (
    SELECT person_id, touched_at, channel, id FROM touchpoints
    WHERE touched_at >= $range_start - $lookback AND touched_at < $until
),
converting AS (
    SELECT c.stage, c.n, any_value(c.converted_at) AS converted_at, any_value(c.value) AS value,
           list(t.channel ORDER BY t.touched_at DESC, t.id DESC) FILTER (WHERE t.id IS NOT NULL) AS recent,
           list(t.touched_at ORDER BY t.touched_at DESC, t.id DESC) FILTER (WHERE t.id IS NOT NULL) AS recent_at
    FROM conversion c
    LEFT JOIN touch t ON t.person_id = c.person
        AND t.touched_at >= c.converted_at - $lookback AND t.touched_at <= c.converted_at
    GROUP BY c.stage, c.n
),
touched AS (
    SELECT person_id,
           list(channel ORDER BY touched_at DESC, id DESC) AS recent,
           list(touched_at ORDER BY touched_at DESC, id DESC) AS recent_at
    FROM touch
    WHERE touched_at >= $idle_since
    GROUP BY person_id
),
idle AS (
    SELECT s.stage, t.recent, t.recent_at
    FROM touched t CROSS JOIN (SELECT unnest(CAST($stages AS INTEGER[])) AS stage) s
    WHERE NOT EXISTS (SELECT 1 FROM conversion c WHERE c.stage = s.stage AND c.person = t.person_id)
),
paths AS (
    SELECT stage,
           CASE WHEN coalesce(len(recent), 0) = 0 THEN [$unattributed]
                ELSE list_reverse(recent[1:$longest]) END AS channels,
           CASE WHEN coalesce(len(recent_at), 0) = 0 THEN [converted_at]
                ELSE list_reverse(recent_at[1:$longest]) END AS touched,
           converted_at AS ended, 1.0 AS conversions, value, 0.0 AS nulls
    FROM converting
    UNION ALL
    SELECT stage, list_reverse(recent[1:$longest]), list_reverse(recent_at[1:$longest]), recent_at[1], 0.0, 0.0, 1.0
    FROM idle
)
SELECT 'path' AS kind, stage, channels, sum(conversions), sum(value), sum(nulls),
       list(struct_pack(conversions, value, nulls, touched, ended)) FILTER (WHERE $timed),
       CAST(NULL AS DATE) AS day
FROM paths GROUP BY stage, channels
UNION ALL
SELECT 'day', stage, NULL, count(*), sum(value), 0.0, NULL, CAST(timezone($tz, converted_at) AS DATE)
FROM conversion GROUP BY stage, 8
"""

#: A stage's conversions and their value per day in the workspace's time zone.
DAILY = """
SELECT CAST(timezone($tz, converted_at) AS DATE) AS day, count(*), sum(value) FROM conversion
GROUP BY day ORDER BY day
"""

SESSIONS_BY_CHANNEL = """
SELECT channel, count(*) FROM sessions
WHERE started_at >= $since AND started_at < $until
GROUP BY channel
"""

#: Contacts and qualified leads count once per customer: look this far back for an earlier first occurrence.
FIRST_OCCURRENCE_HORIZON = timedelta(days=3 * 365)


def _pointer(key: str | None) -> str | None:
    return json_pointer(key) if key else None


def _conversion_params(stage: StagePublic, range_start: datetime, range_end: datetime) -> dict[str, Any]:
    """Contacts and qualified leads count at each customer's first occurrence, looked for well before the range;
    every sale counts."""
    once = stage.key is not StageKey.SALE
    return {
        "since": range_start - FIRST_OCCURRENCE_HORIZON if once else range_start,
        "until": range_end,
        "range_start": range_start,
        "names": sorted(stage.event_names),
        "trait": _pointer(stage.identify_trait),
        "property": _pointer(stage.value_property),
        "once": once,
    }


def _stage_conversions(
    stages: Sequence[StagePublic], range_start: datetime, range_end: datetime
) -> tuple[str, dict[str, Any]]:
    """The `conversion` view of several stages: each stage's block of `CONVERSION` with its own parameters
    (`$s0_names`, `$s1_names`...), numbered by its place in `stages`. Only constants and numbers go into the
    text; every value is a parameter."""
    blocks: list[str] = []
    params: dict[str, Any] = {}
    for number, stage in enumerate(stages):
        prefix = f"s{number}_"
        block = CONVERSION.replace("$", "$" + prefix)
        blocks.append(f"SELECT {number} AS stage, * FROM ({block}) c{number}")  # noqa: S608
        params |= {prefix + k: v for k, v in _conversion_params(stage, range_start, range_end).items()}
    return " UNION ALL ".join(blocks), params


def paths(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stages: Sequence[StagePublic],
    range_start: datetime,
    range_end: datetime,
    lookback: timedelta,
    with_times: bool,
    tz: str,
) -> dict[StageKey, BuiltPaths]:
    """Each stage's paths for [range_start, range_end), built in the engine by the rules of
    `attribution.paths.build_paths` (which works on rows in memory), in one statement for stages sharing a
    lookback. Identical paths are grouped unless `with_times` (the time-decay model reads each touch's time)."""
    conversion, params = _stage_conversions(stages, range_start, range_end)
    params |= {
        "range_start": range_start,
        "until": range_end,
        "idle_since": max(range_start, range_end - lookback),
        "lookback": lookback,
        "longest": MAX_TOUCHES,
        "unattributed": UNATTRIBUTED,
        "timed": with_times,
        "tz": tz,
        "stages": list(range(len(stages))),
    }
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=PATHS, params=params, views={"conversion": conversion}
    )
    found: dict[StageKey, BuiltPaths] = {}
    for number, stage in enumerate(stages):
        mine = [row for row in rows if row[1] == number]
        built = [path for row in mine if row[0] == "path" for path in _expand(row[2:], with_times)]
        days = sorted((row[7], int(row[3]), float(row[4])) for row in mine if row[0] == "day")
        _daily_memo(session)[_daily_key(workspace_id, stage, range_start, range_end, tz)] = days
        converting = round(sum(p.conversions for p in built))
        nulls = round(sum(p.nulls for p in built))
        found[stage.key] = BuiltPaths(PathSet.from_paths(built), converting, nulls)
    return found


def _daily_memo(session: Session) -> dict[Any, list[tuple[date, int, float]]]:
    return transaction_memo(session, "attribution.daily")


def _daily_key(
    workspace_id: uuid.UUID, stage: StagePublic, range_start: datetime, range_end: datetime, tz: str
) -> tuple[Any, ...]:
    """What a stage's daily conversions depend on: the stage's whole definition, the range, the time zone."""
    return (workspace_id, stage.model_dump_json(), range_start, range_end, tz)


def _expand(row: tuple[Any, ...], with_times: bool) -> list[Path]:
    """One grouped path, or each of the group's paths with its touch times."""
    channels = tuple(row[0])
    if not with_times:
        return [Path(channels, float(row[1]), float(row[2]), float(row[3]))]
    return [
        Path(channels, p["conversions"], p["value"], p["nulls"], tuple(p["touched"]), p["ended"])
        for p in row[4]
    ]


def daily(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stage: StagePublic,
    range_start: datetime,
    range_end: datetime,
    tz: str,
) -> list[tuple[date, int, float]]:
    """(day, conversions, value) of the stage in [range_start, range_end), days in `tz`: from the memo when the
    stage's paths were just read for the same range in this transaction."""
    known = _daily_memo(session).get(_daily_key(workspace_id, stage, range_start, range_end, tz))
    if known is not None:
        return known
    params = {**_conversion_params(stage, range_start, range_end), "tz": tz}
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=DAILY, params=params, views={"conversion": CONVERSION}
    )
    return [(row[0], int(row[1]), float(row[2])) for row in rows]


def session_counts(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, int]:
    """Sessions started in [since, until), per channel."""
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=SESSIONS_BY_CHANNEL, params={"since": since, "until": until}
    )
    return {row[0]: int(row[1]) for row in rows}
