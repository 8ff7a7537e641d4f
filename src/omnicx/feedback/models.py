"""Tables of the feedback domain: each inbox's satisfaction survey settings, one survey per conversation, and
the surveys sent to chosen customers with their invitations and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, TimestampMixin


class CsatSetting(TimestampMixin, Base):
    """Whether an inbox asks for a rating after each resolved conversation, how long after, and in which words
    (per language; an empty wording uses omnicx's own question, translated)."""

    __tablename__ = "feedback_csat_setting"

    inbox_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbox_inbox.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    delay_minutes: Mapped[int] = mapped_column(default=0)
    wording: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"en": "...", "fr": "..."}


class CsatSurvey(IdMixin, TimestampMixin, Base):
    """The satisfaction question about one conversation and its answer: one per conversation (unique), asked
    once, answered once. Who handled it (agent, team) and where (inbox, channel) are kept as they were at the
    resolution, so reports do not move when the conversation is later reassigned."""

    __tablename__ = "feedback_csat_survey"
    __table_args__ = (Index("ix_feedback_csat_survey_ws_asked", "workspace_id", "asked_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbox_conversation.id", ondelete="CASCADE"), unique=True
    )
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_inbox.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    agent_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    team_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")
    resolved_at: Mapped[datetime]
    asked_at: Mapped[datetime | None] = mapped_column(default=None)
    message_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    rating: Mapped[int | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_via: Mapped[str] = mapped_column(String(16), default="")  # widget, link, reply


class Survey(IdMixin, TimestampMixin, Base):
    """A survey the workspace sends to chosen customers on their own channel, or shows on its sites: one scored
    question (NPS 0-10, CSAT 1-5, CES 1-7) in the customer's language, then an optional comment."""

    __tablename__ = "feedback_survey"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # nps, csat, ces
    question: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"en": "...", "fr": "..."}
    # Questions after the score: [{"kind": "choice" | "text", "prompt": "...", "options": ["..."]}]
    follow_ups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    # A customer asked any survey within this many days is not asked again (none: 0).
    throttle_days: Mapped[int] = mapped_column(default=30)
    # Shown to the visitors of the workspace's sites by `feedback/site.js` beside the tracking snippet.
    on_site: Mapped[bool] = mapped_column(default=False, server_default=false())


class SurveyInvitation(IdMixin, TimestampMixin, Base):
    """One customer asked one survey (once: unique), on the channel they last used, and their answer."""

    __tablename__ = "feedback_survey_invitation"
    __table_args__ = (
        UniqueConstraint("survey_id", "customer_id"),
        Index("ix_feedback_survey_invitation_ws_customer_sent", "workspace_id", "customer_id", "sent_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("feedback_survey.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    channel: Mapped[str] = mapped_column(String(32), default="")
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    language: Mapped[str] = mapped_column(String(8), default="en")
    sent_at: Mapped[datetime]
    score: Mapped[int | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    # One answer per follow-up question, in order: the option chosen or the text written ("" when skipped).
    follow_up_answers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    sentiment: Mapped[float | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
