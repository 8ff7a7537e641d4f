"""Which adapter serves which channel, which fetches the media its webhooks name, and which knows its senders'
profile names."""

from __future__ import annotations

from omnicx.channels.base import ChannelAdapter
from omnicx.channels.chat.adapter import ChatAdapter
from omnicx.channels.email.adapter import EmailAdapter
from omnicx.channels.media import MediaSource
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


_MEDIA: dict[MessagingChannel, MediaSource] = {
    MessagingChannel.SMS: SmsAdapter(),
    MessagingChannel.WHATSAPP: WhatsAppAdapter(),
    MessagingChannel.MESSENGER: MetaAdapter(MESSENGER),
    MessagingChannel.INSTAGRAM: MetaAdapter(INSTAGRAM),
    MessagingChannel.TELEGRAM: TelegramAdapter(),
}


def adapter_for(kind: MessagingChannel) -> ChannelAdapter:
    return _ADAPTERS[kind]


def media_source_for(kind: MessagingChannel) -> MediaSource | None:
    """The adapter fetching `kind`'s remote attachments; None for a channel whose messages carry their files."""
    return _MEDIA.get(kind)


def profile_source_for(kind: MessagingChannel) -> MetaAdapter | None:
    """The adapter that can name a sender known by id only (Messenger, Instagram); None elsewhere."""
    adapter = _ADAPTERS.get(kind)
    return adapter if isinstance(adapter, MetaAdapter) else None
