"""The one place where domains are plugged into each other and into the kernel.

Nothing registers itself when imported: each domain lists what it offers (`tasks.HANDLERS`, a page module's
`NAV`, a service's providers) and `wire()` puts it where it is used. Every entry point calls `wire()` before it
serves: the app factory (`omnicx serve`), the root CLI callback (every command, the standalone worker among
them) and the demo's second seeding process. Reading this file tells what runs in the background, what the
customer view shows, what an erasure deletes and what the navigation offers.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.analytics import tasks as analytics_tasks
from omnicx.analytics import views as analytics_views
from omnicx.attribution import views as attribution_views
from omnicx.auth import service as auth_service
from omnicx.auth import views as auth_views
from omnicx.auth.models import Membership, Team, Workspace
from omnicx.channels import tasks as channels_tasks
from omnicx.channels.meta import adapter as meta_adapter
from omnicx.channels.sms import adapter as sms_adapter
from omnicx.channels.telegram import adapter as telegram_adapter
from omnicx.channels.webpush import service as webpush_service
from omnicx.channels.webpush import tasks as webpush_tasks
from omnicx.channels.webpush import views as webpush_views
from omnicx.channels.whatsapp import adapter as whatsapp_adapter
from omnicx.commerce import service as commerce_service
from omnicx.commerce import tasks as commerce_tasks
from omnicx.commerce import views as commerce_views
from omnicx.commerce.schemas import OrderReady
from omnicx.customers import service as customers_service
from omnicx.customers import views as customers_views
from omnicx.demo import views as demo_views
from omnicx.feedback import service as feedback_service
from omnicx.feedback import tasks as feedback_tasks
from omnicx.feedback import views as feedback_views
from omnicx.identity import service as identity_service
from omnicx.identity import tasks as identity_tasks
from omnicx.inbox import service as inbox_service
from omnicx.inbox import tasks as inbox_tasks
from omnicx.inbox import views as inbox_views
from omnicx.inbox.enums import MessagingChannel
from omnicx.journeys import views as journeys_views
from omnicx.kernel.access import directory
from omnicx.kernel.jobs import registry as jobs
from omnicx.kernel.jobs.feed import Follower, follow
from omnicx.kernel.web import nav, templating
from omnicx.overview import views as overview_views
from omnicx.ownership import views as ownership_views
from omnicx.tracking import service as tracking_service
from omnicx.tracking import tasks as tracking_tasks
from omnicx.tracking import views as tracking_views

JOB_HANDLERS = (
    analytics_tasks.HANDLERS,
    tracking_tasks.HANDLERS,
    identity_tasks.HANDLERS,
    commerce_tasks.HANDLERS,
    inbox_tasks.HANDLERS,
    channels_tasks.HANDLERS,
    webpush_tasks.HANDLERS,
    feedback_tasks.HANDLERS,
)
MAIN_NAV = (
    *overview_views.NAV,
    *inbox_views.NAV,
    *customers_views.NAV,
    *tracking_views.NAV,
    *attribution_views.NAV,
    *journeys_views.NAV,
    *commerce_views.NAV,
    *feedback_views.NAV,
    *nav.NAV,
)
SETTINGS_NAV = (
    *auth_views.SETTINGS_NAV,
    *nav.SETTINGS_NAV,
    *analytics_views.SETTINGS_NAV,
    *ownership_views.SETTINGS_NAV,
    *inbox_views.SETTINGS_NAV,
    *feedback_views.SETTINGS_NAV,
    *webpush_views.SETTINGS_NAV,
    *tracking_views.SETTINGS_NAV,
)


def wire() -> None:
    """Fill every registry; safe to call again (each registration replaces itself)."""
    directory.install(auth_service.DIRECTORY)
    for handlers in JOB_HANDLERS:
        for kind, handler in handlers.items():
            jobs.register(kind, handler)
    _customer_view()
    _providers()
    _notifications()
    _privacy()
    _analytics()
    _navigation()
    _pages()


def _pages() -> None:
    """What every page's templates may name in the reader's language: a channel (`{{ name|channel }}`), a device
    kind (`{{ kind|device }}`), a contact reason (`{{ intent|intent }}`), an identifier's kind
    (`{{ kind|identifier_kind }}`)."""
    templating.add_filter("channel", tracking_service.channel_label)
    templating.add_filter("device", customers_service.device_label)
    templating.add_filter("intent", inbox_service.intent_label)
    templating.add_filter("identifier_kind", identity_service.identifier_kind_label)


def _customer_view() -> None:
    """What the customer 360 and its timeline gather from each domain."""
    customers_service.register_timeline_provider("identity", customers_service.merge_timeline)
    customers_service.register_timeline_provider("tracking", tracking_service.timeline_items)
    customers_service.register_profile_facts_provider("tracking", tracking_service.profile_facts)
    customers_service.register_customer_filter("channel", tracking_service.customers_by_first_touch_channel)
    customers_service.register_timeline_provider("commerce", commerce_service.order_timeline)
    customers_service.register_customer_grouping(
        "orders", commerce_service.buyer_groups, commerce_service.BUYER_GROUP_LABELS
    )
    customers_service.register_timeline_provider("reviews", commerce_service.review_timeline)
    customers_service.register_timeline_provider("appointments", commerce_service.appointment_timeline)
    customers_service.register_timeline_provider("inbox", inbox_service.timeline_items)


def _providers() -> None:
    """The messaging channels whose inboxes live on a provider's account, proven when the inbox is created."""
    inbox_service.register_provider(MessagingChannel.SMS, sms_adapter.PROVIDER)
    inbox_service.register_provider(MessagingChannel.WHATSAPP, whatsapp_adapter.PROVIDER)
    inbox_service.register_provider(MessagingChannel.MESSENGER, meta_adapter.MESSENGER_PROVIDER)
    inbox_service.register_provider(MessagingChannel.INSTAGRAM, meta_adapter.INSTAGRAM_PROVIDER)
    inbox_service.register_provider(MessagingChannel.TELEGRAM, telegram_adapter.PROVIDER)


def _notifications() -> None:
    """Who hears of an agent's reply and of an order ready for pickup, beside the customer's own channel: their
    browsers (web push). The inbox and commerce import no channel; commerce and channels not each other. A
    resolved conversation is followed by its satisfaction survey (feedback sits above the inbox)."""
    inbox_service.register_reply_listener("webpush", webpush_service.notify_reply)
    commerce_service.register_ready_listener("webpush", _push_order_ready)
    inbox_service.register_resolved_listener("feedback", feedback_service.on_resolved)
    inbox_service.register_answer_taker("feedback", feedback_service.take_reply)


def _push_order_ready(session: Session, ready: OrderReady) -> None:
    """Commerce's order ready, handed to web push in its own terms."""
    webpush_service.notify_order_ready(
        session,
        workspace_id=ready.workspace_id,
        order_id=ready.order_id,
        customer_id=ready.customer_id,
        location=ready.location,
    )


def _privacy() -> None:
    """What an erasure deletes and an export carries beside identity's own records: every domain holding
    personal data about customers registers both (`tests/security/test_erasure_coverage.py` checks it)."""
    identity_service.register_eraser("tracking", tracking_service.erase_customer_data)
    identity_service.register_exporter("tracking", tracking_service.export_customer_data)
    identity_service.register_eraser("inbox", inbox_service.erase_customer_data)
    identity_service.register_exporter("inbox", inbox_service.export_customer_data)
    identity_service.register_eraser("commerce", commerce_service.erase_customer_data)
    identity_service.register_exporter("commerce", commerce_service.export_customer_data)
    identity_service.register_eraser("channels", webpush_service.erase_customer_data)
    identity_service.register_exporter("channels", webpush_service.export_customer_data)
    identity_service.register_eraser("feedback", feedback_service.erase_customer_data)
    identity_service.register_exporter("feedback", feedback_service.export_customer_data)
    identity_service.register_exporter("timeline", customers_service.timeline_export)


def _analytics() -> None:
    """Which domain fills which table of the analytics copy."""
    tracking, inbox, commerce = tracking_service, inbox_service, commerce_service
    for table, load, scan, count in (
        ("events", tracking.copy_events, tracking.scan_events, tracking.count_copy_events),
        ("sessions", tracking.copy_sessions, tracking.scan_sessions, tracking.count_copy_sessions),
        (
            "touchpoints",
            tracking.copy_touchpoints,
            tracking.scan_touchpoints,
            tracking.count_copy_touchpoints,
        ),
    ):
        feeder = analytics_service.RowFeeder(table=table, load=load, scan=scan, count=count)
        analytics_service.register_feeder(feeder)
    for table, load, scan, count in (
        ("conversations", inbox.copy_conversations, inbox.scan_conversations, inbox.count_copy_conversations),
        ("messages", inbox.copy_messages, inbox.scan_messages, inbox.count_copy_messages),
        ("orders", commerce.copy_orders, commerce.scan_orders, commerce.count_copy_orders),
        (
            "order_lines",
            commerce.copy_order_lines,
            commerce.scan_order_lines,
            commerce.count_copy_order_lines,
        ),
    ):
        analytics_service.register_feeder(
            analytics_service.RowFeeder(table=table, load=load, scan=scan, count=count)
        )
    for follower in (*inbox.COPY_FOLLOWERS, *commerce.COPY_FOLLOWERS, *_auth_followers()):
        follow(follower)
    analytics_service.register_feeder(
        analytics_service.SnapshotFeeder(
            table="customer_map",
            snapshot=identity_service.customer_map_rows,
            owners=identity_service.customer_map_owners,
        )
    )


def _auth_followers() -> tuple[Follower, ...]:
    """What auth's writes change in the copy's conversations: a workspace's time zone sets its SLA business
    hours (conversations graded again); removing a member or a team clears it on their conversations."""
    stream = analytics_service.Stream.CONVERSATIONS.value
    return (
        Follower(Membership, stream, resolve=inbox_service.assigned_to, deletes_only=True),
        Follower(Team, stream, resolve=inbox_service.of_teams, deletes_only=True),
        Follower(Workspace, stream, resolve=inbox_service.graded_in_workspaces, watch=("timezone",)),
    )


def _navigation() -> None:
    for item in MAIN_NAV:
        nav.register(item)
    for item in SETTINGS_NAV:
        nav.register(item, settings=True)
    for part in [*inbox_views.FRAME_PARTS, *demo_views.FRAME_PARTS]:
        nav.add_part(part)
