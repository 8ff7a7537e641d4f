"""Which adapter serves which channel."""

from __future__ import annotations

from omnicx.channels.base import ChannelAdapter
from omnicx.channels.chat.adapter import ChatAdapter
from omnicx.channels.email.adapter import EmailAdapter
from omnicx.channels.meta.adapter import INSTAGRAM, MESSENGER, MetaAdapter
from omnicx.channels.sms.adapter import SmsAdapter
from omnicx.channels.telegram.adapter import TelegramAdapter
from omnicx.channels.whatsapp.adapter import WhatsAppAdapter
from omnicx.inbox.enums import MessagingChannel

_ADAPTERS: dict[MessagingChannel, ChannelAdapter] = {
    MessagingChannel.EMAIL: EmailAdapter(),
    MessagingChannel.CHAT: ChatAdapter(),
    MessagingChannel.SMS: SmsAdapter(),
    MessagingChannel.WHATSAPP: WhatsAppAdapter(),
    MessagingChannel.MESSENGER: MetaAdapter(MESSENGER),
    MessagingChannel.INSTAGRAM: MetaAdapter(INSTAGRAM),
    MessagingChannel.TELEGRAM: TelegramAdapter(),
}


def adapter_for(kind: MessagingChannel) -> ChannelAdapter:
    return _ADAPTERS[kind]
