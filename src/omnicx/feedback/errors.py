"""Errors of the feedback domain, each with a stable code."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, NotFound


class SurveyNotFound(NotFound):
    """No survey of this workspace (or of this visitor) has that id, or a response link's signature is wrong:
    a forged link is told nothing more than an unknown one."""

    code = "feedback_survey_not_found"


class AlreadyAnswered(Conflict):
    """The survey was answered: one answer per conversation, a reused link or a second click changes nothing."""

    code = "feedback_already_answered"


class InboxNotFound(NotFound):
    code = "feedback_inbox_not_found"
