"""Which adapter serves which channel."""

from __future__ import annotations

from omnicx.channels.base import ChannelAdapter
from omnicx.channels.chat.adapter import ChatAdapter
from omnicx.channels.email.adapter import EmailAdapter
from omnicx.inbox.enums import ChannelKind

_ADAPTERS: dict[ChannelKind, ChannelAdapter] = {
    ChannelKind.EMAIL: EmailAdapter(),
    ChannelKind.CHAT: ChatAdapter(),
}


def adapter_for(kind: ChannelKind) -> ChannelAdapter:
    return _ADAPTERS[kind]
