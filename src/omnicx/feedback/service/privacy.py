"""A customer's feedback under erasure and export (registered with identity by the wiring)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicx.feedback.models import CsatSurvey, Survey, SurveyInvitation
from omnicx.feedback.schemas import CsatSurveyPublic
from omnicx.identity.schemas import DataSubject


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Anonymise the customer's answers (satisfaction after conversations, surveys): the comment goes, the link
    to them goes; the score stays in the reports, attached to nobody. In the caller's transaction; returns the
    rows touched."""
    ids = list(subject.customer_ids)
    touched = 0
    for statement in (
        update(CsatSurvey)
        .where(CsatSurvey.workspace_id == subject.workspace_id, CsatSurvey.customer_id.in_(ids))
        .values(customer_id=None, contact_id=None, comment=""),
        update(SurveyInvitation)
        .where(SurveyInvitation.workspace_id == subject.workspace_id, SurveyInvitation.customer_id.in_(ids))
        .values(customer_id=None, comment="", sentiment=None),
    ):
        result = session.execute(statement.execution_options(synchronize_session=False))
        touched += int(getattr(result, "rowcount", 0) or 0)
    return touched


def export_customer_data(session: Session, subject: DataSubject) -> dict[str, list[dict[str, Any]]]:
    """What the customer was asked and answered: satisfaction after conversations, and surveys."""
    ids = list(subject.customer_ids)
    ratings = session.scalars(
        select(CsatSurvey)
        .where(CsatSurvey.workspace_id == subject.workspace_id, CsatSurvey.customer_id.in_(ids))
        .order_by(CsatSurvey.resolved_at)
    )
    invitations = session.execute(
        select(SurveyInvitation, Survey.name)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(SurveyInvitation.workspace_id == subject.workspace_id, SurveyInvitation.customer_id.in_(ids))
        .order_by(SurveyInvitation.sent_at)
    ).all()
    return {
        "satisfaction": [CsatSurveyPublic.model_validate(s).model_dump(mode="json") for s in ratings],
        "surveys": [
            {
                "survey": name,
                "channel": i.channel,
                "sent_at": i.sent_at.isoformat(),
                "score": i.score,
                "comment": i.comment,
                "answered_at": i.answered_at.isoformat() if i.answered_at else None,
            }
            for i, name in invitations
        ],
    }
