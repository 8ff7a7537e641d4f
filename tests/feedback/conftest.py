"""Feedback fixtures: the inbox domain's inboxes (email, chat) in the test world."""

from __future__ import annotations

from tests.inbox.conftest import chat_inbox, email_inbox

__all__ = ["chat_inbox", "email_inbox"]
