"""Every kind of conversation event has a label on the conversation page: a kind without one would show its raw
key (`sla_warning`) in every language."""

from __future__ import annotations

from omnicx.inbox.enums import ConversationEventKind
from omnicx.inbox.views.conversation import EVENT_LABELS


def test_every_conversation_event_kind_has_a_label() -> None:
    assert set(EVENT_LABELS) == set(ConversationEventKind)
