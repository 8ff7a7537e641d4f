"""The streams of the change feed the copy follows: one per table, and erasure."""

from enum import StrEnum


class Stream(StrEnum):
    """What a domain names when it records a change (`kernel.jobs.feed.record_changes`)."""

    EVENTS = "events"
    SESSIONS = "sessions"
    TOUCHPOINTS = "touchpoints"
    CUSTOMER_MAP = "customer_map"
    CONVERSATIONS = "conversations"
    MESSAGES = "messages"
    ORDERS = "orders"
    ORDER_LINES = "order_lines"
    #: Customers erased: their rows leave every table of the copy (`upserted` holds their ids).
    ERASURE = "erasure"
