"""Public face of the inbox domain. Other domains (and the channels) import from here only.

Complete actions (`receive`, `reply`, `update_conversation`, `create_inbox`, `apply_status`...) commit; the
jobs' entry points (`wake_due`, `check_sla`, `record_delivery`) write in the job's transaction and never commit.
"""

from omnicx.inbox.service._common import DELIVER_ATTEMPTS, DELIVER_JOB, SLA_CHECK_JOB, WAKE_JOB
from omnicx.inbox.service.conversations import (
    check_sla,
    customer_conversations,
    get_attachment,
    get_conversation,
    list_conversations,
    timeline_items,
    update_conversation,
    wake_due,
)
from omnicx.inbox.service.inboxes import create_inbox, create_sla_policy, find_inbox, get_inbox, list_inboxes
from omnicx.inbox.service.ingest import receive
from omnicx.inbox.service.replies import apply_status, outbound_for, record_delivery, reply
from omnicx.inbox.service.visitors import contact_messages, find_contact

__all__ = [
    "DELIVER_ATTEMPTS",
    "DELIVER_JOB",
    "SLA_CHECK_JOB",
    "WAKE_JOB",
    "apply_status",
    "check_sla",
    "contact_messages",
    "create_inbox",
    "create_sla_policy",
    "customer_conversations",
    "find_contact",
    "find_inbox",
    "get_attachment",
    "get_conversation",
    "get_inbox",
    "list_conversations",
    "list_inboxes",
    "outbound_for",
    "receive",
    "record_delivery",
    "reply",
    "timeline_items",
    "update_conversation",
    "wake_due",
]
