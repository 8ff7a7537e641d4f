"""Public face of the inbox domain. Other domains (and the channels) import from here only.

A message a channel received comes in through `ingest` (one call, committed through the runtime's group commit
before it answers). Complete actions (`receive`, `reply`, `update_conversation`, `create_inbox`,
`apply_status`...) commit; the jobs' entry points (`wake_due`, `auto_resolve_due`, `check_sla`,
`record_delivery`, `record_attachment`...) write in the caller's transaction and never commit.
"""

from omnicx.inbox.labels import CHANNEL_LABELS, intent_label
from omnicx.inbox.sentiment import SentimentScore, detect_language, is_sharply_negative
from omnicx.inbox.sentiment import score as score_sentiment
from omnicx.inbox.service.answers import register_answer_taker
from omnicx.inbox.service.assignment import anyone_online
from omnicx.inbox.service.attachments import (
    FETCH_ATTACHMENTS_ATTEMPTS,
    FETCH_ATTACHMENTS_JOB,
    get_attachment,
    pending_attachments,
    record_attachment,
    record_attachment_failure,
)
from omnicx.inbox.service.authentication import record_sender_authentication
from omnicx.inbox.service.availability import availability_of, get_availability, set_availability
from omnicx.inbox.service.canned import (
    create_canned,
    delete_canned,
    expand_canned,
    get_canned,
    list_canned,
    update_canned,
)
from omnicx.inbox.service.consent import CONSENT_KINDS, opt_out_of
from omnicx.inbox.service.contact_reasons import contact_reasons, contact_reasons_csv
from omnicx.inbox.service.contacts import link_contact
from omnicx.inbox.service.continuation import ReplyChannel, conversation_reply_channels, reply_channels
from omnicx.inbox.service.conversations import get_conversation, list_conversations, update_conversation
from omnicx.inbox.service.copy import (
    COPY_FOLLOWERS,
    assigned_to,
    copy_conversations,
    copy_messages,
    count_copy_conversations,
    count_copy_messages,
    graded_in_workspaces,
    of_teams,
    scan_conversations,
    scan_messages,
)
from omnicx.inbox.service.customer_view import customer_conversations, timeline_items
from omnicx.inbox.service.health import inbox_health, record_rejection
from omnicx.inbox.service.inboxes import (
    create_inbox,
    create_sla_policy,
    find_inbox,
    get_identity_secret,
    get_inbox,
    list_inboxes,
    receiving_inboxes,
    rotate_identity_secret,
)
from omnicx.inbox.service.ingest import ingest, receive
from omnicx.inbox.service.insights import conversation_insights
from omnicx.inbox.service.merge import merge_conversations
from omnicx.inbox.service.notices import (
    customer_language,
    notify_customer,
    notify_in_conversation,
    record_rating,
)
from omnicx.inbox.service.notifications import list_notifications, mark_read, unread_count
from omnicx.inbox.service.privacy import erase_customer_data, export_customer_data
from omnicx.inbox.service.profiles import (
    FETCH_PROFILE_ATTEMPTS,
    FETCH_PROFILE_JOB,
    ProfileRequest,
    name_contact,
    profile_request,
)
from omnicx.inbox.service.providers import (
    PROVIDER_CHANNELS,
    Connection,
    CredentialField,
    ProvenAccount,
    Provider,
    ProviderInbox,
    provider_inbox,
    register_provider,
    registered_providers,
)
from omnicx.inbox.service.replies import (
    DELIVER_ATTEMPTS,
    DELIVER_JOB,
    advance_until,
    apply_status,
    earlier_reply_pending,
    outbound_for,
    record_delivery,
    register_reply_listener,
    reply,
)
from omnicx.inbox.service.report_charts import chart_spec, reasons_spec
from omnicx.inbox.service.reports import (
    conversation_sla_states,
    open_conversations_by_channel,
    report,
    report_csv,
    sentiment_by_channel,
    sla_status,
)
from omnicx.inbox.service.resolutions import register_resolved_listener
from omnicx.inbox.service.retry import retry_message
from omnicx.inbox.service.selling import is_qualified, qualify_lead
from omnicx.inbox.service.settings import get_sla_policy, list_sla_policies, update_inbox, update_sla_policy
from omnicx.inbox.service.sla_clocks import SLA_CHECK_JOB, check_sla
from omnicx.inbox.service.templates import TemplateOffer, approved_templates, conversation_templates
from omnicx.inbox.service.timers import AUTO_RESOLVE_JOB, WAKE_JOB, auto_resolve_due, wake_due
from omnicx.inbox.service.typing import agent_typing, visitor_typing
from omnicx.inbox.service.visibility import get_inbox_settings, update_inbox_settings
from omnicx.inbox.service.visitors import contact_messages, find_contact
from omnicx.inbox.service.window import ReplyWindow, reply_window
from omnicx.kernel.charts import chart_png, chart_svg

__all__ = [
    "AUTO_RESOLVE_JOB",
    "CHANNEL_LABELS",
    "CONSENT_KINDS",
    "COPY_FOLLOWERS",
    "DELIVER_ATTEMPTS",
    "DELIVER_JOB",
    "FETCH_ATTACHMENTS_ATTEMPTS",
    "FETCH_ATTACHMENTS_JOB",
    "FETCH_PROFILE_ATTEMPTS",
    "FETCH_PROFILE_JOB",
    "PROVIDER_CHANNELS",
    "SLA_CHECK_JOB",
    "WAKE_JOB",
    "Connection",
    "CredentialField",
    "ProfileRequest",
    "ProvenAccount",
    "Provider",
    "ProviderInbox",
    "ReplyChannel",
    "ReplyWindow",
    "SentimentScore",
    "TemplateOffer",
    "advance_until",
    "agent_typing",
    "anyone_online",
    "apply_status",
    "approved_templates",
    "assigned_to",
    "auto_resolve_due",
    "availability_of",
    "chart_png",
    "chart_spec",
    "chart_svg",
    "check_sla",
    "contact_messages",
    "contact_reasons",
    "contact_reasons_csv",
    "conversation_insights",
    "conversation_reply_channels",
    "conversation_sla_states",
    "conversation_templates",
    "copy_conversations",
    "copy_messages",
    "count_copy_conversations",
    "count_copy_messages",
    "create_canned",
    "create_inbox",
    "create_sla_policy",
    "customer_conversations",
    "customer_language",
    "delete_canned",
    "detect_language",
    "earlier_reply_pending",
    "erase_customer_data",
    "expand_canned",
    "export_customer_data",
    "find_contact",
    "find_inbox",
    "get_attachment",
    "get_availability",
    "get_canned",
    "get_conversation",
    "get_identity_secret",
    "get_inbox",
    "get_inbox_settings",
    "get_sla_policy",
    "graded_in_workspaces",
    "inbox_health",
    "ingest",
    "intent_label",
    "is_qualified",
    "is_sharply_negative",
    "link_contact",
    "list_canned",
    "list_conversations",
    "list_inboxes",
    "list_notifications",
    "list_sla_policies",
    "mark_read",
    "merge_conversations",
    "name_contact",
    "notify_customer",
    "notify_in_conversation",
    "of_teams",
    "open_conversations_by_channel",
    "opt_out_of",
    "outbound_for",
    "pending_attachments",
    "profile_request",
    "provider_inbox",
    "qualify_lead",
    "reasons_spec",
    "receive",
    "receiving_inboxes",
    "record_attachment",
    "record_attachment_failure",
    "record_delivery",
    "record_rating",
    "record_rejection",
    "record_sender_authentication",
    "register_answer_taker",
    "register_provider",
    "register_reply_listener",
    "register_resolved_listener",
    "registered_providers",
    "reply",
    "reply_channels",
    "reply_window",
    "report",
    "report_csv",
    "retry_message",
    "rotate_identity_secret",
    "scan_conversations",
    "scan_messages",
    "score_sentiment",
    "sentiment_by_channel",
    "set_availability",
    "sla_status",
    "timeline_items",
    "unread_count",
    "update_canned",
    "update_conversation",
    "update_inbox",
    "update_inbox_settings",
    "update_sla_policy",
    "visitor_typing",
    "wake_due",
]
