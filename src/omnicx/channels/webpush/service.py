"""What the web push surfaces (site endpoints, API, settings page, CLI), its job and the wiring use: the
workspace's VAPID key (`keys.py`), the subscribed browsers (`subscriptions.py`), the notifications
(`notices.py`)."""

from omnicx.channels.webpush.keys import public_key, rotate_key, status, update_subject
from omnicx.channels.webpush.notices import (
    SEND_ATTEMPTS,
    SEND_JOB,
    notify_order_ready,
    notify_reply,
    push_target,
    record_push,
    send_test,
)
from omnicx.channels.webpush.subscriptions import (
    delete_subscription,
    erase_customer_data,
    export_customer_data,
    list_subscriptions,
    subscribe,
    unsubscribe,
)

__all__ = [
    "SEND_ATTEMPTS",
    "SEND_JOB",
    "delete_subscription",
    "erase_customer_data",
    "export_customer_data",
    "list_subscriptions",
    "notify_order_ready",
    "notify_reply",
    "public_key",
    "push_target",
    "record_push",
    "rotate_key",
    "send_test",
    "status",
    "subscribe",
    "unsubscribe",
    "update_subject",
]
