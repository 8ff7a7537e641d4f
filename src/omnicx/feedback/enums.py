"""Vocabularies of the feedback domain."""

from __future__ import annotations

from enum import StrEnum


class AnsweredVia(StrEnum):
    """How a satisfaction answer arrived: the chat widget's stars, a signed link, a reply on a text channel."""

    WIDGET = "widget"
    LINK = "link"
    REPLY = "reply"  # a text channel's answer: a message starting with the rating


class CsatGroup(StrEnum):
    """What a satisfaction report groups answers by."""

    AGENT = "agent"
    TEAM = "team"
    CHANNEL = "channel"
    INBOX = "inbox"


class SurveyKind(StrEnum):
    """A survey's scored question: NPS (0-10, how likely to recommend us), CSAT (1-5), CES (1-7, how easy)."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


class FollowUpKind(StrEnum):
    """A survey's question after the score: one option among a few, or a free text."""

    CHOICE = "choice"
    TEXT = "text"
