"""Public face of the tracking domain. Other domains import from here only."""

from omnicx.tracking.context import campaign_from_url
from omnicx.tracking.labels import CHANNEL_NAMES, channel_label
from omnicx.tracking.service.backlog import processing_backlog
from omnicx.tracking.service.contacts import log_contact
from omnicx.tracking.service.copy import (
    copy_events,
    copy_sessions,
    copy_touchpoints,
    count_copy_events,
    count_copy_sessions,
    count_copy_touchpoints,
    scan_events,
    scan_sessions,
    scan_touchpoints,
)
from omnicx.tracking.service.customer_view import (
    customers_by_first_touch_channel,
    first_touch_channels,
    profile_facts,
    timeline_items,
)
from omnicx.tracking.service.events import count_events, get_event, list_events, list_rejected
from omnicx.tracking.service.grouping import (
    classify_traffic,
    create_rule,
    delete_rule,
    list_rules,
    load_rules,
    move_rule,
)
from omnicx.tracking.service.imports import import_file
from omnicx.tracking.service.ingest import PROCESS_JOB, collect, queue_collect, split_valid, store
from omnicx.tracking.service.privacy import erase_customer_data, export_customer_data
from omnicx.tracking.service.processing import process_events, resolve_events
from omnicx.tracking.service.reads import customer_events_between, recent_anonymous_ids
from omnicx.tracking.service.server_events import record_server_event
from omnicx.tracking.service.sessions import list_sessions, rebuild_sessions, rebuild_sessions_many
from omnicx.tracking.service.sources import (
    authenticate_write_key,
    create_source,
    ensure_source,
    find_source,
    get_source,
    hash_write_key,
    list_sources,
    revoke_source,
    rotate_source,
)
from omnicx.tracking.service.touchpoints import list_touchpoints, record_touchpoint
from omnicx.tracking.sessionize import INACTIVITY

__all__ = [
    "CHANNEL_NAMES",
    "INACTIVITY",
    "PROCESS_JOB",
    "authenticate_write_key",
    "campaign_from_url",
    "channel_label",
    "classify_traffic",
    "collect",
    "copy_events",
    "copy_sessions",
    "copy_touchpoints",
    "count_copy_events",
    "count_copy_sessions",
    "count_copy_touchpoints",
    "count_events",
    "create_rule",
    "create_source",
    "customer_events_between",
    "customers_by_first_touch_channel",
    "delete_rule",
    "ensure_source",
    "erase_customer_data",
    "export_customer_data",
    "find_source",
    "first_touch_channels",
    "get_event",
    "get_source",
    "hash_write_key",
    "import_file",
    "list_events",
    "list_rejected",
    "list_rules",
    "list_sessions",
    "list_sources",
    "list_touchpoints",
    "load_rules",
    "log_contact",
    "move_rule",
    "process_events",
    "processing_backlog",
    "profile_facts",
    "queue_collect",
    "rebuild_sessions",
    "rebuild_sessions_many",
    "recent_anonymous_ids",
    "record_server_event",
    "record_touchpoint",
    "resolve_events",
    "revoke_source",
    "rotate_source",
    "scan_events",
    "scan_sessions",
    "scan_touchpoints",
    "split_valid",
    "store",
    "timeline_items",
]
