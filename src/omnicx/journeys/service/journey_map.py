"""The journey map: stages from before to after the purchase, each reached through rules the workspace edits,
computed in the analytics engine over its copy of events, sessions, orders, conversations and touchpoints.

A customer enters the map with their first mark of stage 1 in the range (inclusive days, workspace time zone).
Stages may be skipped: stage k is reached at the customer's first stage-k mark after the latest of the earlier
stages they reached, so a customer who never contacted support can still come back to buy again. A customer is *in*
a stage from reaching it until reaching any later one (or the end of the range); what they used and said in that
time belongs to the stage: the channels of their touchpoints, the conversations they opened and their intents, and
repeated views of the friction pages (help, delivery...). A journey stops at a stage when no later stage follows.
Everything counts for the customer it belongs to now (`person_id`); order statuses are read as they are now, at the
order's last update (an order since returned no longer counts as delivered).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.identity.schemas import CustomerPublic
from omnicx.journeys.errors import InvalidJourneyMap
from omnicx.journeys.schemas import (
    JourneyMapQuery,
    JourneyMapReport,
    JourneyMapSettings,
    StageChannel,
    StageIntent,
    StageMetric,
    StageResult,
    StageRule,
    StageRuleKind,
    StageTouchpoint,
)
from omnicx.journeys.service._common import (
    NOT_SALES,
    Statement,
    customers_behind,
    number_or_none,
    workspace_range,
)
from omnicx.kernel.web.schemas import Page

#: A visit marks a customer an instant before its first event, so the page it lands on can mark the next stage
#: (a stage is reached strictly after the one before: one event never marks two stages).
INSTANT = timedelta(microseconds=1)

#: The SQL of one rule: the rows that mark a customer (`person_id`, `marked_at`), its text in `$r{k}_{j}`.
_RANGE = " AND {column} >= $since AND {column} < $until AND person_id IS NOT NULL"
_RULES = {
    StageRuleKind.VISIT: "SELECT person_id, started_at - $instant AS marked_at FROM sessions WHERE true"
    + _RANGE.format(column="started_at"),
    StageRuleKind.EVENT: "SELECT person_id, timestamp AS marked_at FROM events WHERE type = 'track' "
    "AND event = {p}" + _RANGE.format(column="timestamp"),
    StageRuleKind.PAGE: "SELECT person_id, timestamp AS marked_at FROM events WHERE type = 'page' "
    "AND strpos(coalesce(url, ''), {p}) > 0" + _RANGE.format(column="timestamp"),
    StageRuleKind.CONVERSATION: "SELECT person_id, created_at AS marked_at FROM conversations "
    "WHERE merged_into_id IS NULL AND ({p} = '' OR intent = {p})" + _RANGE.format(column="created_at"),
}
_PLACED = (
    "SELECT person_id, created_at AS marked_at FROM orders WHERE NOT list_contains($not_sales, status)"
    + (_RANGE.format(column="created_at"))
)
_IN_STATUS = "SELECT person_id, updated_at AS marked_at FROM orders WHERE status = {p}" + _RANGE.format(
    column="updated_at"
)


def _rule_sql(rule: StageRule, name: str) -> str:
    if rule.kind is StageRuleKind.ORDER:
        return _PLACED if rule.match == "placed" else _IN_STATUS.format(p=f"${name}")
    return _RULES[rule.kind].format(p=f"${name}")


def _marks(settings: JourneyMapSettings) -> str:
    """Every row that marks a customer for a stage: (stage from 0, person_id, marked_at)."""
    parts = [
        f"SELECT {k} AS stage, person_id, marked_at FROM ({_rule_sql(rule, f'r{k}_{j}')})"
        for k, stage in enumerate(settings.stages)
        for j, rule in enumerate(stage.parsed)
    ]
    return "marks AS (\n" + "\nUNION ALL\n".join(parts) + "\n)"


def _reach(stages: int) -> str:
    """`reached`: per customer who entered, when they reached each stage (`at0`... NULL when they did not):
    stage k at their first stage-k mark after the latest stage reached before it."""
    ctes = ["r0 AS (SELECT person_id, min(marked_at) AS at0 FROM marks WHERE stage = 0 GROUP BY person_id)"]
    for k in range(1, stages):
        carried = ", ".join(f"r.at{j}" for j in range(k))
        latest = "greatest(" + ", ".join(["r.at0", *(f"coalesce(r.at{j}, r.at0)" for j in range(1, k))]) + ")"
        ctes.append(
            f"""r{k} AS (
    SELECT r.person_id, {carried}, min(m.marked_at) FILTER (WHERE m.marked_at > {latest}) AS at{k}
    FROM r{k - 1} r LEFT JOIN (SELECT person_id, marked_at FROM marks WHERE stage = {k}) m
        ON m.person_id = r.person_id
    GROUP BY r.person_id, {carried}
)"""
        )
    ctes.append(f"reached AS (SELECT * FROM r{stages - 1})")
    return ",\n".join(ctes)


def _next(k: int, stages: int, prefix: str = "") -> str:
    """When a customer left stage k: the first later stage they reached, or the end of the range."""
    later = [f"coalesce({prefix}at{j}, $until)" for j in range(k + 1, stages)]
    if not later:
        return "$until"
    return later[0] if len(later) == 1 else "least(" + ", ".join(later) + ")"


def _case(stages: int, expression: Callable[[int], str]) -> str:
    """SQL: `expression(k)` for the stage number `s.k` of the row."""
    whens = " ".join(f"WHEN {k} THEN {expression(k)}" for k in range(stages))
    return f"CASE s.k {whens} END"


def _windows(stages: int) -> str:
    """`windows`: per stage a customer reached, (stage, person_id, entered, left_at, onward, stopped): when they
    reached it and left it, whether they reached the next stage too, whether they reached no later stage. One
    pass over `reached` (joined to the stage numbers), so an engine that inlines CTEs computes it once here."""
    numbers = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(stages))
    last = stages - 1
    return f"""windows AS (
    SELECT * FROM (
        SELECT s.k AS stage, r.person_id,
            {_case(stages, lambda k: f"r.at{k}")} AS entered,
            {_case(stages, lambda k: _next(k, stages, "r."))} AS left_at,
            {_case(stages, lambda k: f"r.at{k + 1} IS NOT NULL" if k < last else "false")} AS onward,
            {_case(stages, lambda k: f"NOT ({_reached_later(k, stages, 'r.')})" if k < last else "false")} AS stopped
        FROM reached r CROSS JOIN ({numbers}) s
    ) WHERE entered IS NOT NULL
)"""


def _activity(settings: JourneyMapSettings) -> str:
    """`activity`: what customers did that a stage keeps: (person_id, happened, kind, key) for each touchpoint
    (`touch`, its channel; `point`, its kind), conversation opened (`talk`, its intent or '') and friction page
    view (`friction`)."""
    tests = " OR ".join(f"strpos(coalesce(url, ''), $f{i}) > 0" for i in range(len(settings.friction_pages)))
    return f"""activity AS (
    SELECT person_id, touched_at AS happened, 'touch' AS kind, channel AS key FROM touchpoints
    WHERE touched_at >= $since AND touched_at < $until AND person_id IS NOT NULL
    UNION ALL
    SELECT person_id, touched_at, 'point', kind FROM touchpoints
    WHERE touched_at >= $since AND touched_at < $until AND person_id IS NOT NULL
    UNION ALL
    SELECT person_id, created_at, 'talk', coalesce(intent, '') FROM conversations
    WHERE merged_into_id IS NULL AND created_at >= $since AND created_at < $until AND person_id IS NOT NULL
    UNION ALL
    SELECT person_id, timestamp, 'friction', '' FROM events
    WHERE type = 'page' AND ({tests or "false"}) AND timestamp >= $since AND timestamp < $until
        AND person_id IS NOT NULL
),
kept AS (
    SELECT w.stage, w.person_id, a.kind, a.key, count(*) AS n
    FROM windows w JOIN activity a ON a.person_id = w.person_id
    WHERE a.happened >= w.entered AND a.happened < w.left_at
    GROUP BY w.stage, w.person_id, a.kind, a.key
)"""


def _ctes(settings: JourneyMapSettings) -> str:
    stages = len(settings.stages)
    parts = [_marks(settings), _reach(stages), _windows(stages), _activity(settings)]
    return "WITH " + ",\n".join(parts) + "\n"


#: The report's rows, in one statement so `reached` is computed once. Part 0, per stage: its customers, those who
#: went on to the next stage, those who reached no later stage, and the median time until a later stage (of those
#: who reached one). Part 1, per stage and kind of activity (and per key; `whole`: every key together): the
#: customers, the times (conversations opened...), the customers who did it twice or more (friction pages).
_REPORT = """SELECT 0 AS part, stage, CAST(NULL AS VARCHAR) AS kind, CAST(NULL AS VARCHAR) AS key,
    CAST(NULL AS BOOLEAN) AS whole, count(*) AS n1, count(*) FILTER (WHERE onward) AS n2,
    count(*) FILTER (WHERE stopped) AS n3,
    quantile_cont(date_diff('microsecond', entered, left_at) / 1000000.0, 0.5) FILTER (WHERE NOT stopped) AS median
FROM windows GROUP BY stage
UNION ALL
SELECT 1, stage, kind, coalesce(key, ''), grouping(key) > 0, count(DISTINCT person_id), sum(n),
    count(*) FILTER (WHERE n >= 2), CAST(NULL AS DOUBLE)
FROM kept GROUP BY GROUPING SETS ((stage, kind, key), (stage, kind))"""


def _reached_later(k: int, stages: int, prefix: str = "") -> str:
    """SQL: the customer reached some stage after k."""
    return " OR ".join(f"{prefix}at{j} IS NOT NULL" for j in range(k + 1, stages)) or "false"


def _params(settings: JourneyMapSettings, since: datetime, until: datetime) -> dict[str, Any]:
    """The rules' texts (`$r{k}_{j}`, for the rules that have one) and the friction pages' (`$f{i}`)."""
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "not_sales": list(NOT_SALES),
        "instant": INSTANT,
    }
    for k, stage in enumerate(settings.stages):
        for j, rule in enumerate(stage.parsed):
            if _takes_text(rule):
                params[f"r{k}_{j}"] = rule.match
    params.update({f"f{i}": text for i, text in enumerate(settings.friction_pages)})
    return params


def _takes_text(rule: StageRule) -> bool:
    return rule.kind is not StageRuleKind.VISIT and not (
        rule.kind is StageRuleKind.ORDER and rule.match == "placed"
    )


def journey_statement(settings: JourneyMapSettings, since: datetime, until: datetime) -> Statement:
    """What `journey_map` asks the engine (`bench/analytics.py` runs the same on the bare engine)."""
    return _ctes(settings) + _REPORT, _params(settings, since, until)


def journey_map(
    session: Session, *, workspace_id: uuid.UUID, settings: JourneyMapSettings, query: JourneyMapQuery
) -> JourneyMapReport:
    """The map for customers who entered in the range: per stage who reached it, what they used and said there,
    how many went on, and the friction signals."""
    timezone, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    sql, params = journey_statement(settings, since, until)
    rows = analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
    stages = {
        int(row[1]): _Counts(int(row[5]), number_or_none(row[8]), int(row[6]), int(row[7]))
        for row in rows
        if int(row[0]) == 0
    }
    kept: dict[int, list[_Kept]] = {}
    for _, stage, kind, key, whole, customers, times, repeated, _ in (
        row for row in rows if int(row[0]) == 1
    ):
        row = _Kept(str(kind), None if whole else str(key), int(customers), int(times), int(repeated))
        kept.setdefault(int(stage), []).append(row)
    first = stages[0].customers if 0 in stages else 0
    return JourneyMapReport(
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=timezone,
        friction_pages=settings.friction_pages,
        stages=[
            _stage(settings, k, stages.get(k, _Counts(0, None, 0, 0)), kept.get(k, []), first)
            for k in range(len(settings.stages))
        ],
    )


class _Counts(NamedTuple):
    customers: int
    median: float | None  # seconds until a later stage
    onward: int  # went on to the next stage
    stopped: int  # reached no later stage


class _Kept(NamedTuple):
    kind: str  # touch, point, talk, friction
    key: str | None  # none: every key of the kind together
    customers: int
    times: int
    repeated: int  # customers who did it twice or more


def _stage(
    settings: JourneyMapSettings, k: int, counts: _Counts, kept: list[_Kept], first: int
) -> StageResult:
    """Stage k's result from its counts (all zero when nobody reached it) and what its customers did in it."""
    customers, median, onward, stopped = counts
    last = k == len(settings.stages) - 1

    def whole(kind: str) -> _Kept | None:
        return next((row for row in kept if row.kind == kind and row.key is None), None)

    talks, friction = whole("talk"), whole("friction")
    return StageResult(
        position=k + 1,
        name=settings.stages[k].name,
        customers=customers,
        share_of_first=customers / first if first else None,
        conversion_to_next=None if last or not customers else onward / customers,
        dropped=None if last else stopped,
        median_seconds_in_stage=None if last else median,
        channels=sorted(
            (
                StageChannel(channel=r.key, customers=r.customers)
                for r in kept
                if r.kind == "touch" and r.key is not None
            ),
            key=lambda c: (-c.customers, c.channel),
        ),
        touchpoints=sorted(
            (
                StageTouchpoint(kind=r.key, customers=r.customers, touchpoints=r.times)
                for r in kept
                if r.kind == "point" and r.key is not None
            ),
            key=lambda t: (-t.customers, t.kind),
        ),
        conversations=talks.times if talks else 0,
        contacting_customers=talks.customers if talks else 0,
        intents=sorted(
            (
                StageIntent(intent=r.key, conversations=r.times)
                for r in kept
                if r.kind == "talk" and r.key is not None
            ),
            key=lambda i: (-i.conversations, i.intent),
        ),
        struggling_customers=friction.repeated if friction else 0,
    )


_KEYED = "SELECT DISTINCT person_id FROM kept WHERE stage = $stage AND kind = '{kind}' AND key = $key"
#: The customers behind each number: a query over the map's CTEs, for stage `$stage`.
_BEHIND = {
    StageMetric.REACHED: "SELECT person_id FROM windows WHERE stage = $stage",
    StageMetric.DROPPED: "SELECT person_id FROM windows WHERE stage = $stage AND stopped",
    StageMetric.CONTACTING: "SELECT DISTINCT person_id FROM kept WHERE stage = $stage AND kind = 'talk'",
    StageMetric.STRUGGLING: "SELECT person_id FROM kept WHERE stage = $stage AND kind = 'friction' AND n >= 2",
    StageMetric.CHANNEL: _KEYED.format(kind="touch"),
    StageMetric.TOUCHPOINT: _KEYED.format(kind="point"),
}
#: The metrics that name a channel or touchpoint kind (`key`).
KEYED_METRICS = frozenset({StageMetric.CHANNEL, StageMetric.TOUCHPOINT})


def journey_customers(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    settings: JourneyMapSettings,
    query: JourneyMapQuery,
    stage: int,
    metric: StageMetric,
    key: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[CustomerPublic]:
    """The customers behind one number of the map (stage from 1), most recently seen first, as the customer
    list shows them; `key` names the channel or touchpoint kind of those two metrics."""
    if not 1 <= stage <= len(settings.stages):
        raise InvalidJourneyMap(f"the journey map has no stage {stage}")
    if metric is StageMetric.DROPPED and stage == len(settings.stages):
        raise InvalidJourneyMap("journeys do not stop at the last stage: it has no drop-off")
    if (metric in KEYED_METRICS) != bool(key):
        raise InvalidJourneyMap(
            f"the {metric.value} metric {'needs' if metric in KEYED_METRICS else 'takes no'} key "
            "(a channel or touchpoint kind)"
        )
    _, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    params = {**_params(settings, since, until), "stage": stage - 1, **({"key": key} if key else {})}
    statement = (_ctes(settings) + _BEHIND[metric], params)
    return customers_behind(session, workspace_id, statement, offset=offset, limit=limit)


def journey_map_csv(report: JourneyMapReport) -> str:
    """One row per stage: its numbers, then its channels and intents as `name:count` lists."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "position",
            "stage",
            "customers",
            "conversion_to_next",
            "stopped_here",
            "median_seconds_in_stage",
            "conversations",
            "contacting_customers",
            "struggling_customers",
            "channels",
            "touchpoints",
            "intents",
        ]
    )
    for stage in report.stages:
        writer.writerow(
            [
                stage.position,
                stage.name,
                stage.customers,
                "" if stage.conversion_to_next is None else f"{stage.conversion_to_next:.4f}",
                "" if stage.dropped is None else stage.dropped,
                "" if stage.median_seconds_in_stage is None else f"{stage.median_seconds_in_stage:.0f}",
                stage.conversations,
                stage.contacting_customers,
                stage.struggling_customers,
                "; ".join(f"{c.channel}:{c.customers}" for c in stage.channels),
                "; ".join(f"{t.kind}:{t.customers}" for t in stage.touchpoints),
                "; ".join(f"{i.intent or '(none)'}:{i.conversations}" for i in stage.intents),
            ]
        )
    return out.getvalue()
