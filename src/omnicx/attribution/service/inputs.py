"""What attribution reads, from the analytics copy: a stage's paths, its conversions per day, session counts.

Every row comes with `person_id`, the customer it belongs to now (merged customers are one journey), so no
identity look-up follows. A stage's conversions are a view (`CONVERSION`) the path and daily queries read in the
engine: Python receives distinct paths and daily totals, never events or touches.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.attribution.engine import Path, PathSet
from omnicx.attribution.paths import MAX_TOUCHES, UNATTRIBUTED, BuiltPaths
from omnicx.attribution.schemas import StageKey, StagePublic

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

#: One path per conversion in the range (its customer's touches in the lookback before it, the last fifty) and
#: one per customer who touched a channel in the range's last lookback without converting in it (a null path);
#: identical paths grouped, each group listing its paths' touch times when the model needs them.
PATHS = """
WITH touch AS (
    SELECT person_id, touched_at, channel, id FROM touchpoints
    WHERE touched_at >= $range_start - $lookback AND touched_at < $until
),
converting AS (
    SELECT c.n, any_value(c.converted_at) AS converted_at, any_value(c.value) AS value,
           list(t.channel ORDER BY t.touched_at DESC, t.id DESC) FILTER (WHERE t.id IS NOT NULL) AS recent,
           list(t.touched_at ORDER BY t.touched_at DESC, t.id DESC) FILTER (WHERE t.id IS NOT NULL) AS recent_at
    FROM conversion c
    LEFT JOIN touch t ON t.person_id = c.person
        AND t.touched_at >= c.converted_at - $lookback AND t.touched_at <= c.converted_at
    GROUP BY c.n
),
idle AS (
    SELECT list(channel ORDER BY touched_at DESC, id DESC) AS recent,
           list(touched_at ORDER BY touched_at DESC, id DESC) AS recent_at
    FROM touch
    WHERE touched_at >= $idle_since AND person_id NOT IN (SELECT person FROM conversion)
    GROUP BY person_id
),
paths AS (
    SELECT coalesce(list_reverse(recent[1:$longest]), [$unattributed]) AS channels,
           coalesce(list_reverse(recent_at[1:$longest]), [converted_at]) AS touched, converted_at AS ended,
           1.0 AS conversions, value, 0.0 AS nulls
    FROM converting
    UNION ALL
    SELECT list_reverse(recent[1:$longest]), list_reverse(recent_at[1:$longest]), recent_at[1], 0.0, 0.0, 1.0
    FROM idle
)
SELECT channels, sum(conversions), sum(value), sum(nulls),
       CASE WHEN $timed THEN list(struct_pack(conversions, value, nulls, touched, ended)) END
FROM paths GROUP BY channels
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
    """A JSON pointer to a top-level key (any name: `~` and `/` escaped as RFC 6901 says)."""
    return None if not key else "/" + key.replace("~", "~0").replace("/", "~1")


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


def paths(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stage: StagePublic,
    range_start: datetime,
    range_end: datetime,
    lookback: timedelta,
    with_times: bool,
) -> BuiltPaths:
    """The stage's paths for [range_start, range_end), built in the engine by the rules of
    `attribution.paths.build_paths` (which works on rows in memory). Identical paths are grouped unless
    `with_times` (the time-decay model reads each touch's time)."""
    params = {
        **_conversion_params(stage, range_start, range_end),
        "idle_since": max(range_start, range_end - lookback),
        "lookback": lookback,
        "longest": MAX_TOUCHES,
        "unattributed": UNATTRIBUTED,
        "timed": with_times,
    }
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=PATHS, params=params, views={"conversion": CONVERSION}
    )
    built = [path for row in rows for path in _expand(row, with_times)]
    converting = round(sum(p.conversions for p in built))
    nulls = round(sum(p.nulls for p in built))
    return BuiltPaths(PathSet.from_paths(built), converting, nulls)


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
    """(day, conversions, value) of the stage in [range_start, range_end), days in `tz`."""
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
