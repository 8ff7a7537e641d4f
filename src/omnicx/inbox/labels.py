"""What each messaging channel is called on pages, reports and touchpoints (marked for translation, translated
where shown)."""

from __future__ import annotations

from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.i18n import lazy as N_

CHANNEL_LABELS: dict[MessagingChannel, str] = {
    MessagingChannel.EMAIL: N_("Email"),
    MessagingChannel.CHAT: N_("Live chat"),
    MessagingChannel.SMS: N_("SMS"),
    MessagingChannel.WHATSAPP: N_("WhatsApp"),
    MessagingChannel.MESSENGER: N_("Messenger"),
    MessagingChannel.INSTAGRAM: N_("Instagram"),
    MessagingChannel.TELEGRAM: N_("Telegram"),
}
