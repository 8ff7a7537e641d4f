"""Vocabularies of the feedback domain."""

from __future__ import annotations

from enum import StrEnum


class AnsweredVia(StrEnum):
    """How a satisfaction answer arrived: the chat widget's stars, a signed link (email, text channels)."""

    WIDGET = "widget"
    LINK = "link"


class CsatGroup(StrEnum):
    """What a satisfaction report groups answers by."""

    AGENT = "agent"
    TEAM = "team"
    CHANNEL = "channel"
    INBOX = "inbox"
