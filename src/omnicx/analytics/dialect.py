"""Report SQL is written once, in DuckDB's dialect: SQLGlot carries it to ClickHouse's.

Parameters stay `$name` in the text a report writes. ClickHouse binds query parameters by type
(`{name:Type}`), so each one's type is read from the value it is bound to. A duration (a lookback) becomes an
interval of microseconds, the one unit both engines subtract from a time exactly. DuckDB's `timezone(zone, t)`
(a time seen in a zone) becomes ClickHouse's `toTimeZone(t, zone)`: casting that to a date gives the local day
on both.

Where SQLGlot's ClickHouse output would not run or would mean something else, a rewrite below says what ClickHouse
needs instead: ordered list aggregates (`list(x ORDER BY k DESC) FILTER (WHERE c)`, kept as a sorted `groupArrayIf`
of tuples, so nulls stay in), list slices, `len`, DuckDB's JSON functions on top-level keys addressed by a JSON
pointer (`json_extract`, `json_extract_string`, `json_type`'s names), `isfinite`, `any_value`, `quantile_cont`,
`array_to_string`. Report SQL avoids what has no exact counterpart: an aggregate over no rows is `[]` on ClickHouse
where DuckDB gives null (test `coalesce(len(list), 0) = 0`, not `list IS NULL`), and a `CASE` cannot yield a list.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

#: The pseudo-type of a duration parameter: bound as microseconds, read as an interval.
INTERVAL = "interval"

_SCALARS: tuple[tuple[type, str], ...] = (
    (bool, "Bool"),  # before int: a bool is an int in Python
    (int, "Int64"),
    (float, "Float64"),
    (str, "String"),
    (uuid.UUID, "UUID"),
    (datetime, "DateTime64(6, 'UTC')"),
    (date, "Date"),
)


def _scalar_type(value: Any) -> str:
    for kind, name in _SCALARS:
        if isinstance(value, kind):
            return name
    raise TypeError(f"no ClickHouse type for a parameter of type {type(value).__name__}")


def type_of(value: Any) -> str:
    """The ClickHouse type a parameter's value is bound as (a null is a nullable text)."""
    if value is None:
        return "Nullable(String)"
    if isinstance(value, timedelta):
        return INTERVAL
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else list(value)
        return f"Array({_scalar_type(items[0]) if items else 'String'})"
    return _scalar_type(value)


def _value(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value // timedelta(microseconds=1)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value
    if isinstance(value, set | frozenset):
        return sorted(value)
    return value


def bind(params: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], dict[str, Any]]:
    """The parameters' types (hashable, for the transpile cache) and their values as ClickHouse takes them."""
    types = tuple(sorted((name, type_of(value)) for name, value in params.items()))
    return types, {name: _value(value) for name, value in params.items()}


def _placeholder(name: str, kind: str) -> exp.Expr:
    if kind == INTERVAL:
        typed = exp.Placeholder(this=name, kind=exp.Var(this="Int64"))
        return exp.Anonymous(this="toIntervalMicrosecond", expressions=[typed])
    return exp.Placeholder(this=name, kind=exp.Var(this=kind))


@lru_cache(maxsize=512)
def to_clickhouse(sql: str, types: tuple[tuple[str, str], ...]) -> str:
    """`sql` (DuckDB dialect, `$name` parameters) in ClickHouse's dialect, parameters typed by `types`."""
    kinds = dict(types)

    def typed(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name in kinds:
            return _placeholder(node.name, kinds[node.name])
        return node

    def zoned(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone" and len(node.expressions) == 2:
            zone, value = node.expressions
            return exp.Anonymous(this="toTimeZone", expressions=[value, zone])
        return node

    tree = sqlglot.parse_one(sql, read="duckdb")
    for rewrite in (typed, zoned, _scalar, _aggregate):
        tree = _bottom_up(tree, rewrite)
    return tree.sql(dialect="clickhouse")


def _bottom_up(tree: exp.Expr, rewrite: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Rewrite every node, children before their parent (a rewritten parent keeps rewritten children)."""
    for node in reversed(list(tree.walk(bfs=False))):
        new = rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _key(pointer: exp.Expr) -> exp.Expr:
    """The top-level key a JSON pointer (`/name`, `~1` for `/`, `~0` for `~`) addresses."""
    rest = _call("substring", pointer, exp.Literal.number(2))
    unescaped = _call("replaceAll", rest, exp.Literal.string("~1"), exp.Literal.string("/"))
    return _call("replaceAll", unescaped, exp.Literal.string("~0"), exp.Literal.string("~"))


#: DuckDB's `json_type` names for ClickHouse's `JSONType` ones.
_JSON_TYPES = {
    "Null": "NULL",
    "Bool": "BOOLEAN",
    "String": "VARCHAR",
    "Int64": "BIGINT",
    "UInt64": "UBIGINT",
    "Double": "DOUBLE",
    "Array": "ARRAY",
    "Object": "OBJECT",
}


def _strings(values: list[str]) -> exp.Expr:
    return exp.Array(expressions=[exp.Literal.string(v) for v in values])


def _scalar(node: exp.Expr) -> exp.Expr:
    """Scalar functions SQLGlot leaves in DuckDB's spelling or meaning."""
    if isinstance(node, exp.JSONExtract) and not isinstance(node, exp.JSONExtractScalar):
        raw = _call("JSONExtractRaw", node.this, _key(node.expression))
        return _call("nullIf", raw, exp.Literal.string(""))
    if isinstance(node, exp.JSONExtractScalar):
        return _call("JSONExtractString", node.this, _key(node.expression))
    if isinstance(node, exp.JSONType):
        kind = _call("toString", _call("JSONType", node.this))
        return _call(
            "transform",
            kind,
            _strings(list(_JSON_TYPES)),
            _strings(list(_JSON_TYPES.values())),
            exp.Literal.string(""),
        )
    if (
        isinstance(node, exp.Bracket)
        and len(node.expressions) == 1
        and isinstance(node.expressions[0], exp.Slice)
    ):
        low, high = node.expressions[0].this, node.expressions[0].expression
        length = exp.Add(this=exp.Sub(this=high, expression=low), expression=exp.Literal.number(1))
        return _call("arraySlice", node.this, low, length)
    if isinstance(node, exp.Length):
        return _call("length", node.this)
    if isinstance(node, exp.ArrayToString):
        return _call("arrayStringConcat", node.this, node.expression)
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        return _call("any", node.this.this)
    if isinstance(node, exp.AnyValue):
        return _call("any", node.this)
    if isinstance(node, exp.Anonymous) and node.name.lower() in _RENAMED:
        return _call(_RENAMED[node.name.lower()], *node.expressions)
    return node


_RENAMED = {"isfinite": "isFinite", "list_reverse": "arrayReverse"}


def _text(node: exp.Expr) -> str:
    return node.sql(dialect="clickhouse")


def _aggregate(node: exp.Expr) -> exp.Expr:
    """`quantile_cont(x, q)`: ClickHouse's `quantileExactInclusive(q)(x)`, the same linear interpolation between
    closest ranks. `list(x ORDER BY k, ... ) FILTER (WHERE c)`: ClickHouse's `groupArrayIf` of (x, (k, ...))
    sorted by the keys, then x alone. The keys must all go one way (all ascending or all descending)."""
    if isinstance(node, exp.PercentileCont):
        return exp.Var(this=f"quantileExactInclusive({_text(node.expression)})({_text(node.this)})")
    condition: exp.Expr | None = None
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
        condition, node = node.expression.this, node.this
    elif not isinstance(node, exp.ArrayAgg) or isinstance(node.parent, exp.Filter):
        return node
    inner = node.this
    keys: list[exp.Ordered] = []
    if isinstance(inner, exp.Order):
        keys, inner = list(inner.expressions), inner.this
    if len({bool(k.args.get("desc")) for k in keys}) > 1:
        raise ValueError("an ordered list on ClickHouse needs every key in one direction")
    value = _text(inner)
    pairs = f"tuple({value}, tuple({', '.join(_text(k.this) for k in keys)}))" if keys else value
    collected = (
        f"groupArrayIf({pairs}, {_text(condition)})" if condition is not None else f"groupArray({pairs})"
    )
    if not keys:
        return exp.Var(this=collected)
    sort = "arrayReverseSort" if keys[0].args.get("desc") else "arraySort"
    return exp.Var(this=f"arrayMap(p -> tupleElement(p, 1), {sort}(p -> tupleElement(p, 2), {collected}))")
