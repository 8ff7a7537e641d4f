"""What the inbox's vocabularies are called on pages: each messaging channel (on pages, reports and
touchpoints; marked for translation, translated where shown), and a conversation's status and priority and a
reply's delivery status (translated when asked, each in its own message context)."""

from __future__ import annotations

from omnicx.inbox.enums import ConversationStatus, DeliveryStatus, MessagingChannel, Priority
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import name_of, pgettext

CHANNEL_LABELS: dict[MessagingChannel, str] = {
    MessagingChannel.EMAIL: N_("Email"),
    MessagingChannel.CHAT: N_("Live chat"),
    MessagingChannel.SMS: N_("SMS"),
    MessagingChannel.WHATSAPP: N_("WhatsApp"),
    MessagingChannel.MESSENGER: N_("Messenger"),
    MessagingChannel.INSTAGRAM: N_("Instagram"),
    MessagingChannel.TELEGRAM: N_("Telegram"),
}


def status_label(status: ConversationStatus | str) -> str:
    """A conversation's status as the page's language names it (its own message context: "Open" or "Resolved"
    said of a conversation is not the same word as on other pages)."""
    labels = {
        ConversationStatus.OPEN: pgettext("conversation status", "Open"),
        ConversationStatus.PENDING: pgettext("conversation status", "Pending"),
        ConversationStatus.SNOOZED: pgettext("conversation status", "Snoozed"),
        ConversationStatus.RESOLVED: pgettext("conversation status", "Resolved"),
    }
    return labels[ConversationStatus(status)]


def priority_label(priority: Priority | str) -> str:
    """A conversation's priority as the page's language names it ("Medium" here is a priority, not a
    campaign's marketing medium: the message context keeps the two translations apart)."""
    labels = {
        Priority.URGENT: pgettext("priority", "Urgent"),
        Priority.HIGH: pgettext("priority", "High"),
        Priority.MEDIUM: pgettext("priority", "Medium"),
        Priority.LOW: pgettext("priority", "Low"),
        Priority.NONE: pgettext("priority", "None"),
    }
    return labels[Priority(priority)]


def delivery_label(status: DeliveryStatus | str) -> str:
    """A reply's delivery status as the page's language names it."""
    labels = {
        DeliveryStatus.PENDING: pgettext("delivery status", "Pending"),
        DeliveryStatus.SENT: pgettext("delivery status", "Sent"),
        DeliveryStatus.DELIVERED: pgettext("delivery status", "Delivered"),
        DeliveryStatus.READ: pgettext("delivery status", "Read"),
        DeliveryStatus.FAILED: pgettext("delivery status", "Failed"),
    }
    return labels[DeliveryStatus(status)]


#: A detected contact reason (`inbox.intent.Intent`'s values) as pages name it.
INTENT_LABELS = {
    "order_status": N_("Order status"),
    "return": N_("Return"),
    "complaint": N_("Complaint"),
    "product_question": N_("Product question"),
    "purchase": N_("Purchase"),
}


def intent_label(intent: str) -> str:
    """A contact reason in the reader's language; one omnicx does not know, as recorded."""
    return name_of(INTENT_LABELS, intent)
