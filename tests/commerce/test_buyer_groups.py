"""Customer groups by what they bought (repeat buyers, one order, none yet), counted across merged profiles and
without cancelled orders, and the survey results broken down by them (commerce offers the grouping through the
customers registry; feedback never imports commerce)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, OrderStatus, SalesChannel
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate, OrderPublic
from omnicx.customers import service as customers_service
from omnicx.feedback import service as feedback_service
from omnicx.feedback.models import SurveyInvitation
from omnicx.feedback.schemas import SurveyAnswer, SurveyCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from tests.commerce.conftest import Shop
from tests.conftest import SECRET_KEY, World
from tests.inbox.conftest import email_inbox

__all__ = ["email_inbox"]  # the inbox fixture: surveys go out by email


def _order(db: Session, shop: Shop, email: str) -> OrderPublic:
    return service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)],
            channel=SalesChannel.WEB,
            fulfilment=Fulfilment.SHIP,
            location_id=shop.warehouse.id,
            customer=CustomerRef(email=email),
        ),
        actor="test",
    )


def _buyer(db: Session, shop: Shop, email: str, orders: int) -> uuid.UUID:
    placed = [_order(db, shop, email) for _ in range(orders)]
    customer = placed[0].customer_id
    assert customer is not None
    return customer


def _buyers(db: Session, shop: Shop, world: World) -> dict[str, uuid.UUID]:
    """Ada ordered twice; Bob once (a second order cancelled); Dan and Erin once each, then Dan was merged into
    Erin (two orders between them); Carol never ordered."""
    found = {"ada": _buyer(db, shop, "ada@example.com", 2), "bob": _buyer(db, shop, "bob@example.com", 1)}
    cancelled = _order(db, shop, "bob@example.com")
    service.change_status(
        db, workspace_id=shop.workspace_id, order_id=cancelled.id, status=OrderStatus.CANCELLED, actor="test"
    )
    found["dan"] = _buyer(db, shop, "dan@example.com", 1)
    found["erin"] = _buyer(db, shop, "erin@example.com", 1)
    owner = world.members[Role.OWNER].principal
    customers_service.merge(db, principal=owner, target_id=found["erin"], source_id=found["dan"])
    carol = identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value="carol@example.com")],
    )
    assert carol is not None
    found["carol"] = carol
    db.commit()
    return found


def test_buyer_groups_count_merged_profiles_and_leave_cancelled_orders_out(
    db: Session, world: World, shop: Shop
) -> None:
    people = _buyers(db, shop, world)
    groups = service.buyer_groups(db, world.workspace.id, list(people.values()))
    named = {name: groups[customer] for name, customer in people.items()}
    # Dan's id now stands for Erin, who has two orders with his.
    assert named == {"ada": "repeat", "bob": "one", "carol": "none", "dan": "repeat", "erin": "repeat"}


def test_survey_results_by_customer_group(
    client: TestClient, db: Session, world: World, shop: Shop, email_inbox: InboxPublic
) -> None:
    people = _buyers(db, shop, world)
    owner = world.members[Role.OWNER].principal
    survey_id = feedback_service.create_survey(
        db, principal=owner, data=SurveyCreate(name="NPS", throttle_days=0)
    ).id
    asked = [people["ada"], people["bob"], people["carol"], people["erin"]]
    sent = feedback_service.send_to(
        db, survey_id=survey_id, customer_ids=asked, base_url="https://cx.example", secret=SECRET_KEY
    )
    db.commit()
    assert sent == 4
    invitations = dict(
        db.execute(
            select(SurveyInvitation.customer_id, SurveyInvitation.id).where(
                SurveyInvitation.survey_id == survey_id
            )
        ).all()
    )
    db.rollback()
    for name, score in (("ada", 10), ("erin", 6), ("bob", 9)):
        feedback_service.answer_invitation(
            db, invitation_id=invitations[people[name]], data=SurveyAnswer(score=score)
        )
    results = feedback_service.survey_results(db, workspace_id=world.workspace.id, survey_id=survey_id)
    db.rollback()
    groups = {g.key: (g.label, g.invited, g.answered, g.score) for g in results.by_customer_group}
    assert groups == {
        "repeat": ("Repeat buyers", 2, 2, 0.0),  # a promoter and a detractor
        "one": ("One order", 1, 1, 100.0),
        "none": ("No order yet", 1, 0, None),
    }
    assert "customer_group,repeat,2,2,0.0" in feedback_service.survey_csv(results)
    page = client.get(f"/feedback/surveys/{survey_id}", headers=world.token(Role.VIEWER))
    assert 'data-customer-group="repeat"' in page.text and "Repeat buyers" in page.text
