"""The copy's tables: their columns, and how each follows the store of record.

Row tables (events, sessions, touchpoints) receive segments of new rows and tombstones for rows replaced or
removed. A snapshot table (the customer map) is small and rewritten whole for a workspace when it changes.
Customer ids stay as they were when a row was copied: queries see each row's current customer (`person_id`)
through the customer map, so a merge shows in the next report without rewriting history.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa


class TableKind(StrEnum):
    ROWS = "rows"
    SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    sql: str  # the DuckDB type, for empty tables


@dataclass(frozen=True)
class CopyTable:
    name: str
    kind: TableKind
    columns: tuple[Column, ...]
    #: The time column merged segments are sorted by, so a query's time range skips whole row groups.
    sort_column: str | None = None
    #: The column holding the customer a row belonged to when copied (mapped to `person_id` at query time).
    customer_column: str | None = "customer_id"

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


def _uuid(name: str) -> Column:
    return Column(name, pa.uuid(), "UUID")


def _time(name: str) -> Column:
    return Column(name, pa.timestamp("us", tz="UTC"), "TIMESTAMPTZ")


def _text(name: str) -> Column:
    return Column(name, pa.string(), "VARCHAR")


EVENTS = CopyTable(
    "events",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("customer_id"),
        _text("type"),
        _text("event"),
        _time("timestamp"),
        _time("received_at"),
        _text("anonymous_id"),
        _text("user_id"),
        _text("url"),
        _text("properties"),  # JSON text
        _text("traits"),  # JSON text: the identify call's traits, else its context's
    ),
    sort_column="timestamp",
)
SESSIONS = CopyTable(
    "sessions",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("customer_id"),
        _time("started_at"),
        _time("ended_at"),
        Column("duration_seconds", pa.float64(), "DOUBLE"),
        _text("device_category"),
        _text("landing_page"),
        _text("source"),
        _text("medium"),
        _text("campaign"),
        _text("channel"),
        Column("page_views", pa.int32(), "INTEGER"),
        Column("event_count", pa.int32(), "INTEGER"),
        Column("engaged", pa.bool_(), "BOOLEAN"),
        Column("bounced", pa.bool_(), "BOOLEAN"),
    ),
    sort_column="started_at",
)
TOUCHPOINTS = CopyTable(
    "touchpoints",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("customer_id"),
        _time("touched_at"),
        _text("channel"),
        _text("kind"),
        _text("source"),
        _uuid("session_id"),
    ),
    sort_column="touched_at",
)
CUSTOMER_MAP = CopyTable(
    "customer_map",
    TableKind.SNAPSHOT,
    (_uuid("customer_id"), _uuid("current_id")),
    customer_column=None,
)

CONVERSATIONS = CopyTable(
    "conversations",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("customer_id"),
        _uuid("inbox_id"),
        _text("channel"),  # the inbox's kind: chat, email, ...
        _text("status"),
        _text("priority"),
        _uuid("assignee_id"),
        _uuid("team_id"),
        _text("intent"),
        _time("created_at"),
        _time("first_reply_at"),
        _time("last_message_at"),
        _time("resolved_at"),
        # The SLA outcome: when the first response was due under the inbox's policy now in force (NULL: no
        # target). A policy edit re-copies its inboxes' conversations, so the past is graded by one rule.
        _time("first_response_due_at"),
        _uuid("merged_into_id"),
    ),
    sort_column="created_at",
)
#: Message metadata, never bodies. The customer is the conversation's: reports join `conversations`.
MESSAGES = CopyTable(
    "messages",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("conversation_id"),
        _uuid("inbox_id"),
        _text("kind"),  # incoming, outgoing, note
        _uuid("author_user_id"),
        _time("created_at"),
        _text("delivery_status"),
        Column("attachments", pa.int32(), "INTEGER"),
    ),
    sort_column="created_at",
    customer_column=None,
)
ORDERS = CopyTable(
    "orders",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("customer_id"),
        _text("channel"),  # online, store, ...
        _text("fulfilment"),
        _uuid("location_id"),
        _text("status"),
        _text("currency"),
        Column("total_minor", pa.int64(), "BIGINT"),
        _time("created_at"),
        _time("updated_at"),
    ),
    sort_column="created_at",
)
#: Order lines; the customer is the order's: reports join `orders`.
ORDER_LINES = CopyTable(
    "order_lines",
    TableKind.ROWS,
    (
        _uuid("id"),
        _uuid("order_id"),
        _text("sku"),
        Column("quantity", pa.int32(), "INTEGER"),
        Column("unit_price_minor", pa.int64(), "BIGINT"),
        _text("stock_state"),
    ),
    customer_column=None,
)

TABLES: dict[str, CopyTable] = {
    t.name: t
    for t in (EVENTS, SESSIONS, TOUCHPOINTS, CUSTOMER_MAP, CONVERSATIONS, MESSAGES, ORDERS, ORDER_LINES)
}

#: Columns every copied row carries beside its own: the publishing batch, for tombstones to apply to older rows.
SEQ = "_seq"
