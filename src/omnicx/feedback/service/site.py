"""Surveys shown on the workspace's own sites by `feedback/site.js`, beside the tracking snippet.

The script sends the visitor's tracking anonymous id (the device analytics.js already identifies) with the
site's write key. The device is a claim, as in the chat widget: it reaches only a customer who holds nothing but
anonymous ids, or a new one (`identity.resolve_device`), so nobody can answer in an identified customer's name by
copying their device id; a device of an identified customer is not asked on the site (their own channels ask
them). Showing a survey records the invitation (channel `web`) before the visitor answers, so the throttle
counts a survey shown and dismissed as asked. The answer carries the invitation's signed token, the same one its
link would (`links.py`), and is stored once like any other answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.feedback.enums import SurveyKind
from omnicx.feedback.errors import SurveyNotFound
from omnicx.feedback.models import Survey, SurveyInvitation
from omnicx.feedback.schemas import SCALES, SiteSurveyAnswer, SiteSurveyQuestion, SiteVisitor, SurveyAnswer
from omnicx.feedback.service.links import invitation_of, invitation_token
from omnicx.feedback.service.surveys import answer_invitation, question_of, recently_asked
from omnicx.identity import service as identity_service
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import negotiate, translations

SITE_CHANNEL = "web"
ENDS = {
    SurveyKind.NPS: (N_("Not likely"), N_("Very likely")),
    SurveyKind.CSAT: (N_("Very dissatisfied"), N_("Very satisfied")),
    SurveyKind.CES: (N_("Very hard"), N_("Very easy")),
}
COMMENT = N_("Anything to add? (optional)")
SEND = N_("Send")
DISMISS = N_("Not now")
THANKS = N_("Thank you for your answer.")


def ask_visitor(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    visitor: SiteVisitor,
    secret: str,
    now: datetime | None = None,
) -> SiteSurveyQuestion | None:
    """The survey to show this visitor now, recorded as asked; None when no survey is on, the device belongs to
    an identified customer, or the visitor was asked lately. Commits."""
    surveys = session.scalars(
        select(Survey)
        .where(Survey.workspace_id == workspace_id, Survey.on_site.is_(True))
        .order_by(Survey.created_at.desc())
    ).all()
    if not surveys:
        return None
    customer_id = identity_service.resolve_device(
        session, workspace_id=workspace_id, anonymous_id=visitor.anonymous_id, reason="survey"
    )
    now = now or utcnow()
    survey = next(
        (s for s in surveys if customer_id and not recently_asked(session, s, customer_id, now)), None
    )
    if customer_id is None or survey is None:
        session.commit()  # a new device's profile is kept, as its events would create it
        return None
    default = auth_service.get_workspace(session, workspace_id=workspace_id).default_language
    language = negotiate(visitor.language, default)
    invitation = SurveyInvitation(
        id=uuid.uuid5(survey.id, str(customer_id)),  # as when sent: one invitation per survey and customer
        workspace_id=workspace_id,
        survey_id=survey.id,
        customer_id=customer_id,
        channel=SITE_CHANNEL,
        language=language,
        sent_at=now,
    )
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        session.commit()
        return None  # shown by a concurrent request of the same visitor
    session.commit()
    return _question(survey, language, invitation_token(secret, invitation.id))


def _question(survey: Survey, language: str, token: str) -> SiteSurveyQuestion:
    kind = SurveyKind(survey.kind)
    words = translations(language)
    low, high = SCALES[kind]
    low_label, high_label = ENDS[kind]
    return SiteSurveyQuestion(
        token=token,
        kind=kind,
        language=language,
        question=question_of(survey, language),
        low=low,
        high=high,
        low_label=words.gettext(low_label),
        high_label=words.gettext(high_label),
        comment_prompt=words.gettext(COMMENT),
        send=words.gettext(SEND),
        dismiss=words.gettext(DISMISS),
        thanks=words.gettext(THANKS),
    )


def answer_on_site(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    data: SiteSurveyAnswer,
    secret: str,
    now: datetime | None = None,
) -> None:
    """Store the visitor's answer once; a forged token, or one of another workspace's survey, is refused as
    unknown, an answered one with `AlreadyAnswered`. Commits."""
    invitation_id = invitation_of(secret, data.token)
    invitation = session.get(SurveyInvitation, invitation_id) if invitation_id else None
    if invitation is None or invitation.workspace_id != workspace_id:
        raise SurveyNotFound("no such survey")
    answer = SurveyAnswer(score=data.score, comment=data.comment)
    answer_invitation(session, invitation_id=invitation.id, data=answer, now=now)
