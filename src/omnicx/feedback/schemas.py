"""Contracts of the feedback domain: satisfaction settings per inbox, surveys and answers, the CSAT report."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from omnicx.feedback.enums import CsatGroup, FollowUpKind, SurveyKind
from omnicx.kernel.i18n import LANGUAGES
from omnicx.kernel.text import PlainText

SCALE = 5  # ratings from 1 (very dissatisfied) to 5 (very satisfied); 4 and 5 count as satisfied


def _per_language(texts: dict[str, str]) -> dict[str, str]:
    """A text per language code omnicx speaks, at most 500 characters each; blank ones dropped."""
    unknown = sorted(set(texts) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language: {', '.join(unknown)} (known: {', '.join(LANGUAGES)})")
    if any(len(text) > 500 for text in texts.values()):
        raise ValueError("a question is at most 500 characters")
    return {lang: text.strip() for lang, text in texts.items() if text.strip()}


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CsatSettingPublic(_Public):
    inbox_id: uuid.UUID
    inbox_name: str = ""
    channel: str = ""
    enabled: bool
    delay_minutes: int
    wording: dict[str, str] = Field(
        description="The question per language; a missing language uses omnicx's."
    )


class CsatSettingUpdate(BaseModel):
    enabled: bool = Field(description="Ask for a rating after each resolved conversation of this inbox.")
    delay_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60, description="Minutes after the resolution.")
    wording: dict[str, PlainText] = Field(
        default_factory=dict, description="The question, per language code."
    )

    @field_validator("wording")
    @classmethod
    def _known_languages(cls, wording: dict[str, str]) -> dict[str, str]:
        return _per_language(wording)


class CsatAnswer(BaseModel):
    rating: int = Field(ge=1, le=SCALE, description="1 (very dissatisfied) to 5 (very satisfied).")
    comment: PlainText = Field(default="", max_length=2000)


class CsatSurveyPublic(_Public):
    id: uuid.UUID
    conversation_id: uuid.UUID
    inbox_id: uuid.UUID
    channel: str
    customer_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    team_id: uuid.UUID | None
    language: str
    resolved_at: datetime
    asked_at: datetime | None
    message_id: uuid.UUID | None = Field(description="The question's message in the conversation.")
    rating: int | None
    comment: str
    answered_at: datetime | None
    answered_via: str


class CsatQuestion(BaseModel):
    """What the chat widget needs to draw stars under the question's message: the survey, and its answer once
    given."""

    survey_id: uuid.UUID
    message_id: uuid.UUID
    rating: int | None
    scale: int = SCALE


class CsatRow(BaseModel):
    key: str = Field(description="The agent's, team's or inbox's id, or the channel; empty: none.")
    label: str
    asked: int
    answered: int
    satisfied: int = Field(description="Answers rated 4 or 5.")
    average: float | None
    csat: float | None = Field(description="Share of answers rated 4 or 5 (0-1); None without answers.")
    csat_low: float | None = Field(default=None, description="CSAT's 95% interval, low end (Wilson).")
    csat_high: float | None = Field(default=None, description="CSAT's 95% interval, high end (Wilson).")
    response_rate: float | None


class CsatReport(BaseModel):
    start: date
    end: date
    group: CsatGroup
    total: CsatRow
    rows: list[CsatRow]
    distribution: dict[int, int] = Field(description="Answers per rating, 1 to 5.")
    comments: list[CsatSurveyPublic] = Field(description="The latest answers with a comment.")


SCALES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


class FollowUp(BaseModel):
    """A question after the score: one option among a few (`choice`), or a free text (`text`)."""

    kind: FollowUpKind
    prompt: PlainText = Field(min_length=1, max_length=300)
    options: list[Annotated[PlainText, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=10, description="The options of a choice (2 to 10); none for a text."
    )

    @model_validator(mode="after")
    def _options_fit_the_kind(self) -> FollowUp:
        if self.kind is FollowUpKind.CHOICE and not 2 <= len(set(self.options)) == len(self.options):
            raise ValueError("a choice has 2 to 10 different options")
        if self.kind is FollowUpKind.TEXT and self.options:
            raise ValueError("a text question has no options")
        return self


class SurveyCreate(BaseModel):
    name: PlainText = Field(min_length=1, max_length=200)
    kind: SurveyKind = SurveyKind.NPS
    question: dict[str, PlainText] = Field(
        default_factory=dict, description="The question per language; a missing language uses omnicx's."
    )
    throttle_days: int = Field(
        default=30, ge=0, le=365, description="A customer asked any survey within these days is skipped."
    )
    follow_ups: list[FollowUp] = Field(
        default_factory=list, max_length=5, description="Questions after the score."
    )
    on_site: bool = Field(
        default=False, description="Show it to the visitors of the workspace's sites (`feedback/site.js`)."
    )

    @field_validator("question")
    @classmethod
    def _known_languages(cls, question: dict[str, str]) -> dict[str, str]:
        return _per_language(question)


class SurveyPublic(_Public):
    id: uuid.UUID
    name: str
    kind: SurveyKind
    question: dict[str, str]
    throttle_days: int
    follow_ups: list[FollowUp] = []
    on_site: bool = False
    created_at: datetime


class SurveyOnSite(BaseModel):
    on_site: bool = Field(description="Whether the workspace's sites show this survey to their visitors.")


class SiteVisitor(BaseModel):
    """What `feedback/site.js` sends to ask for a survey: the visitor's tracking anonymous id (the device) and
    the page's language."""

    anonymous_id: str = Field(min_length=1, max_length=200)
    language: str = Field(default="", max_length=35, description="The page's language tag, e.g. fr-FR.")


class SiteSurveyQuestion(BaseModel):
    """The survey to show a visitor, worded in their language, with the signed token that answers it once."""

    token: str
    kind: SurveyKind
    language: str
    question: str
    low: int
    high: int
    low_label: str
    high_label: str
    comment_prompt: str
    send: str
    dismiss: str
    thanks: str


class SiteSurveyAnswer(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    score: int = Field(ge=0, le=10)
    comment: PlainText = Field(default="", max_length=2000)


class SurveyAudience(BaseModel):
    """Who to ask: the customer list's filters (seen in the last N days, with an email, by first-touch channel)
    or chosen customers; at most `limit` of them, most recently seen first."""

    customer_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5000)
    seen_within_days: int | None = Field(default=None, ge=1, le=3650)
    has_email: bool | None = None
    channel: str | None = Field(default=None, max_length=100, description="First-touch marketing channel.")
    limit: int = Field(default=1000, ge=1, le=5000)


class SurveySending(BaseModel):
    survey_id: uuid.UUID
    queued: int = Field(
        description="Customers the sending job will ask (those asked lately are skipped then)."
    )


class SurveyAnswer(BaseModel):
    score: int = Field(ge=0, le=10)
    comment: PlainText = Field(default="", max_length=2000)
    follow_ups: list[Annotated[PlainText, Field(max_length=2000)]] = Field(
        default_factory=list,
        max_length=5,
        description="Per follow-up question: the option chosen or the text.",
    )


class FollowUpResult(BaseModel):
    """A follow-up question's answers: per option for a choice, the latest texts for a text."""

    kind: FollowUpKind
    prompt: str
    answered: int
    options: dict[str, int] = Field(
        default_factory=dict, description="Answers per option, in the options' order."
    )
    texts: list[str] = Field(default_factory=list, description="The latest texts (at most 30).")


class SurveyGroup(BaseModel):
    key: str
    label: str = Field(default="", description="What the key means, where it is a customer group.")
    invited: int
    answered: int
    score: float | None = Field(description="NPS (-100..100), or the average score for CSAT and CES.")
    low: float | None = None
    high: float | None = None


class SurveyWeek(BaseModel):
    week: date
    answered: int
    score: float | None


class SurveyVerbatim(BaseModel):
    score: int
    comment: str
    sentiment: float | None
    channel: str
    answered_at: datetime


class SurveyResults(BaseModel):
    survey: SurveyPublic
    total: SurveyGroup
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    distribution: dict[int, int]
    by_channel: list[SurveyGroup]
    follow_ups: list[FollowUpResult] = Field(default_factory=list)
    by_first_touch: list[SurveyGroup] = Field(
        default_factory=list,
        description="By the customer's first-touch channel (how they first came): `unknown` without a touchpoint.",
    )
    by_customer_group: list[SurveyGroup] = Field(
        default_factory=list,
        description="By customer group (what they bought: repeat buyers, one order, none yet), largest first.",
    )
    weekly: list[SurveyWeek]
    verbatims: list[SurveyVerbatim]
