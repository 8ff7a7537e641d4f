"""Security fixtures: the inbox fixtures (an email and a chat inbox in the test world), shared with these tests."""

from __future__ import annotations

from tests.inbox.conftest import chat_inbox, email_inbox

__all__ = ["chat_inbox", "email_inbox"]
