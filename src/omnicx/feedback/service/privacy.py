"""A customer's feedback under erasure and export (registered with identity by the wiring)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicx.feedback.models import CsatSurvey
from omnicx.feedback.schemas import CsatSurveyPublic
from omnicx.identity.schemas import DataSubject


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Anonymise the customer's survey answers: the comment goes, the link to them goes; the rating stays in the
    reports, attached to nobody. In the caller's transaction; returns the rows touched."""
    result = session.execute(
        update(CsatSurvey)
        .where(
            CsatSurvey.workspace_id == subject.workspace_id,
            CsatSurvey.customer_id.in_(list(subject.customer_ids)),
        )
        .values(customer_id=None, contact_id=None, comment="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def export_customer_data(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    """The customer's satisfaction surveys: when asked, the rating and comment they gave."""
    surveys = session.scalars(
        select(CsatSurvey)
        .where(
            CsatSurvey.workspace_id == subject.workspace_id,
            CsatSurvey.customer_id.in_(list(subject.customer_ids)),
        )
        .order_by(CsatSurvey.resolved_at)
    )
    return [CsatSurveyPublic.model_validate(s).model_dump(mode="json") for s in surveys]
