"""The demo's satisfaction answers: every inbox asks after a resolution, and about half of the customers answer,
at the time they would have (minutes to a day after the question), more kindly when they were answered fast.

Asked and answered here, in the seeding, at historical times: the `feedback.ask_csat` jobs the resolutions
queued then find their survey asked already and send nothing, so no question is posted at the present time.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicx.customers import service as customers_service
from omnicx.feedback import service as feedback_service
from omnicx.feedback.enums import AnsweredVia, SurveyKind
from omnicx.feedback.errors import SurveyNotFound
from omnicx.feedback.schemas import (
    CsatAnswer,
    CsatSettingUpdate,
    SiteSurveyAnswer,
    SiteVisitor,
    SurveyAnswer,
    SurveyCreate,
)
from omnicx.kernel.access.principal import Principal
from omnicx.tracking import service as tracking_service

ASK_AFTER = timedelta(minutes=10)
ANSWERED = 0.45  # share of customers who answer the question
# Ratings weights (1..5) for a conversation answered within the hour, and for one answered late.
QUICK = (1, 2, 5, 27, 65)
LATE = (6, 9, 15, 35, 35)
COMMENTS = {
    "en": {
        "good": ["Quick and friendly, thank you!", "Problem solved in minutes.", "Very helpful 👍"],
        "bad": [
            "Took far too long to get an answer.",
            "Still not sorted, disappointed.",
            "Nobody read my message properly.",
        ],
    },
    "fr": {
        "good": ["Rapide et aimable, merci !", "Problème réglé en quelques minutes.", "Très efficace 👍"],
        "bad": [
            "Beaucoup trop long pour avoir une réponse.",
            "Toujours pas réglé, très déçue.",
            "Personne n'a lu mon message.",
        ],
    },
    "id": {
        "good": [
            "Cepat dan ramah, terima kasih!",
            "Masalah beres dalam beberapa menit.",
            "Sangat membantu 👍",
        ],
        "bad": [
            "Terlalu lama menunggu jawaban.",
            "Masih belum beres, kecewa.",
            "Pesan saya tidak dibaca dengan baik.",
        ],
    },
    "ca": {
        "good": ["Ràpid i amable, gràcies!", "Problema resolt en pocs minuts.", "Molt útil 👍"],
        "bad": [
            "Massa temps per tenir una resposta.",
            "Encara no està resolt, molt decebuda.",
            "Ningú no va llegir el meu missatge.",
        ],
    },
}


def ask_everywhere(session: Session, owner: Principal, inbox_ids: list[uuid.UUID]) -> None:
    """Every inbox asks for a rating ten minutes after a resolution."""
    for inbox_id in inbox_ids:
        feedback_service.update_setting(
            session,
            principal=owner,
            inbox_id=inbox_id,
            data=CsatSettingUpdate(enabled=True, delay_minutes=int(ASK_AFTER.total_seconds() // 60)),
        )


def rate(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    resolved_at: datetime,
    quick: bool,
    now: datetime,
    base_url: str,
    secret: str,
    rng: random.Random,
) -> None:
    """Ask the resolved conversation's question at its time and, for some customers, answer it."""
    survey = feedback_service.conversation_survey(
        session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    asked_at = resolved_at + ASK_AFTER
    if survey is None or survey.asked_at is not None or asked_at >= now:
        return
    if not feedback_service.ask(session, survey_id=survey.id, base_url=base_url, secret=secret, now=asked_at):
        return
    session.commit()
    answered_at = asked_at + timedelta(minutes=rng.uniform(1, 24 * 60))
    if rng.random() >= ANSWERED or answered_at >= now:
        return
    rating = rng.choices(range(1, 6), weights=QUICK if quick else LATE)[0]
    comment = ""
    if rng.random() < 0.4:
        asked = feedback_service.get_csat_survey(session, survey_id=survey.id)
        comments = COMMENTS.get(asked.language, COMMENTS["en"])
        comment = rng.choice(comments["good"] if rating >= 4 else comments["bad"]) if rating != 3 else ""
    feedback_service.answer(
        session,
        survey_id=survey.id,
        data=CsatAnswer(rating=rating, comment=comment),
        via=AnsweredVia.LINK,
        now=answered_at,
    )


# The demo's survey: a quarterly NPS sent in waves over two weeks, from five weeks ago, to customers with an
# email address (a blast on one day would crowd that day with notice conversations); about 40% answer, most
# within two days, a few with a comment.
SURVEY_SENT = timedelta(days=35)
SURVEY_WAVES = timedelta(days=14)
SURVEY_ANSWERED = 0.4
NPS_WEIGHTS = (2, 1, 1, 2, 2, 3, 4, 8, 12, 20, 25)  # scores 0..10: promoters lead, as in a liked shop
NPS_COMMENTS = {
    "good": ["Great products and kind staff.", "Fast delivery, easy returns.", "Love the store in Lyon!"],
    "bad": ["Delivery took too long.", "Hard to reach anyone by phone.", "Prices went up a lot."],
}


def seed_survey(
    session: Session, *, owner: Principal, now: datetime, base_url: str, secret: str, rng: random.Random
) -> int:
    """Create and send the quarterly NPS at its historical time, then answer some; returns the answers."""
    survey = feedback_service.create_survey(
        session, principal=owner, data=SurveyCreate(name="Quarterly NPS", kind=SurveyKind.NPS)
    )
    customers = customers_service.list_customers(
        session, workspace_id=owner.workspace_id, has_email=True, limit=80
    ).items
    step = SURVEY_WAVES / max(len(customers), 1)
    for n, customer in enumerate(customers):
        feedback_service.send_to(
            session,
            survey_id=survey.id,
            customer_ids=[customer.id],
            base_url=base_url,
            secret=secret,
            now=now - SURVEY_SENT + n * step,
        )
    session.commit()
    answered = 0
    for n, customer in enumerate(customers):
        sent_at = now - SURVEY_SENT + n * step
        invitation = uuid.uuid5(survey.id, str(customer.id))
        if rng.random() >= SURVEY_ANSWERED:
            continue
        score = rng.choices(range(11), weights=NPS_WEIGHTS)[0]
        comment = ""
        if rng.random() < 0.35:
            comment = rng.choice(NPS_COMMENTS["good" if score >= 9 else "bad"]) if score not in (7, 8) else ""
        try:
            feedback_service.answer_invitation(
                session,
                invitation_id=invitation,
                data=SurveyAnswer(score=score, comment=comment),
                now=sent_at + timedelta(hours=rng.uniform(1, 48)),
            )
        except SurveyNotFound:
            session.rollback()  # not reached (no channel): never asked
            continue
        answered += 1
    return answered


SITE_VISITORS = 400  # devices sampled from the site's traffic; identified customers' are not asked there
SITE_ASKED = 60
CES_WEIGHTS = (1, 1, 2, 4, 8, 10, 8)  # scores 1..7: checkout is mostly easy
CES_COMMENTS = {
    "good": ["Quick checkout.", "Found my size easily."],
    "bad": ["The delivery options were confusing.", "Could not apply my voucher."],
}


def seed_site_survey(
    session: Session, *, owner: Principal, now: datetime, secret: str, rng: random.Random
) -> int:
    """A checkout-ease (CES) survey shown on the site for the last 30 days: the recent anonymous visitors it was
    shown to, half of whom answered; returns the answers."""
    feedback_service.create_survey(
        session,
        principal=owner,
        data=SurveyCreate(name="Checkout ease (site)", kind=SurveyKind.CES, on_site=True),
    )
    devices = tracking_service.recent_anonymous_ids(
        session, workspace_id=owner.workspace_id, since=now - timedelta(days=30), limit=SITE_VISITORS
    )
    answered = asked = 0
    for device in devices:
        shown_at = now - timedelta(days=rng.uniform(0, 30))
        question = feedback_service.ask_visitor(
            session,
            workspace_id=owner.workspace_id,
            visitor=SiteVisitor(anonymous_id=device, language=rng.choice(("en", "fr", "ca"))),
            secret=secret,
            now=shown_at,
        )
        if question is None:
            continue
        asked += 1
        if rng.random() < 0.5:
            score = rng.choices(range(1, 8), weights=CES_WEIGHTS)[0]
            comment = rng.choice(CES_COMMENTS["good" if score >= 5 else "bad"]) if rng.random() < 0.3 else ""
            answer = SiteSurveyAnswer(token=question.token, score=score, comment=comment)
            feedback_service.answer_on_site(
                session,
                workspace_id=owner.workspace_id,
                data=answer,
                secret=secret,
                now=shown_at + timedelta(seconds=rng.uniform(10, 90)),
            )
            answered += 1
        if asked >= SITE_ASKED:
            break
    return answered
