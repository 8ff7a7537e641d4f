"""Product reviews: asked once, days after an order reached the customer, on their channel; written through a
signed link; shown on the product only once approved; in the customer's timeline; erased with the customer."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, OrderStatus, ReviewStatus, SalesChannel
from omnicx.commerce.errors import AlreadyReviewed
from omnicx.commerce.models import ReviewRequest
from omnicx.commerce.schemas import (
    CustomerRef,
    LineRequest,
    OrderCreate,
    OrderPublic,
    ReviewInput,
    ReviewSettingsUpdate,
    ReviewSubmission,
)
from omnicx.customers import service as customers_service
from omnicx.feedback import service as feedback_service
from omnicx.inbox.models import Message
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, drain
from tests.commerce.test_privacy import _subject
from tests.conftest import SECRET_KEY, World
from tests.inbox.conftest import email_inbox
from tests.tracking.conftest import make_source

__all__ = ["email_inbox"]  # the inbox fixture used here

S = OrderStatus
BASE = "https://shop.example.com"


def delivered(db: Session, shop: Shop, email: str = "ada@example.com") -> OrderPublic:
    """A shipped order of a T-shirt and two mugs for `email`, delivered."""
    order = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="TEE-S", quantity=1), LineRequest(sku="MUG", quantity=2)],
            channel=SalesChannel.WEB,
            fulfilment=Fulfilment.SHIP,
            location_id=shop.warehouse.id,
            customer=CustomerRef(email=email),
        ),
        actor="test",
    )
    for status in (S.PAID, S.ALLOCATED, S.SHIPPED, S.DELIVERED):
        order = service.change_status(
            db, workspace_id=shop.workspace_id, order_id=order.id, status=status, actor="staff@acme"
        )
    return order


def request_of(db: Session, order: OrderPublic) -> ReviewRequest:
    request = db.scalar(select(ReviewRequest).where(ReviewRequest.order_id == order.id))
    assert request is not None
    return request


def products(db: Session, shop: Shop) -> dict[str, uuid.UUID]:
    found = {p.title: p.id for p in service.list_products(db, workspace_id=shop.workspace_id)}
    db.rollback()
    return found


def asked(db: Session, shop: Shop) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """The review request of a delivered order, and the shop's product ids by title."""
    request_id = request_of(db, delivered(db, shop)).id
    db.rollback()
    return request_id, products(db, shop)


def principal(world: World) -> Principal:
    return Principal(workspace_id=world.workspace.id, role=Role.OWNER, label="moderator@acme")


def test_delivery_plans_one_request_due_after_the_workspace_delay(db: Session, shop: Shop) -> None:
    before = utcnow()
    order = delivered(db, shop)
    request = request_of(db, order)
    job = db.scalar(select(Job).where(Job.kind == service.REQUEST_JOB))
    db.rollback()
    assert request.sent_at is None
    assert timedelta(days=7) <= request.due_at - before < timedelta(days=7, minutes=1)
    assert job is not None and job.run_at == request.due_at and job.payload == {"order_id": str(order.id)}


def test_a_workspace_that_does_not_ask_or_an_order_without_customer_plans_nothing(
    db: Session, shop: Shop
) -> None:
    service.update_review_settings(
        db, workspace_id=shop.workspace_id, data=ReviewSettingsUpdate(enabled=False, days_after=3)
    )
    order = delivered(db, shop)
    assert db.scalar(select(ReviewRequest.id).where(ReviewRequest.order_id == order.id)) is None
    db.rollback()
    service.update_review_settings(
        db, workspace_id=shop.workspace_id, data=ReviewSettingsUpdate(days_after=3)
    )
    anonymous = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)],
            channel=SalesChannel.STORE,
            fulfilment=Fulfilment.PICKUP,
            location_id=shop.store.id,
        ),
        actor="till",
    )
    for status in (S.PAID, S.ALLOCATED, S.READY_FOR_PICKUP):
        service.change_status(
            db, workspace_id=shop.workspace_id, order_id=anonymous.id, status=status, actor="t"
        )
    code = service.pickup_code(db, workspace_id=shop.workspace_id, order_id=anonymous.id)
    service.change_status(
        db,
        workspace_id=shop.workspace_id,
        order_id=anonymous.id,
        status=S.PICKED_UP,
        actor="t",
        pickup_code=code,
    )
    assert db.scalar(select(ReviewRequest.id).where(ReviewRequest.order_id == anonymous.id)) is None
    db.rollback()


def test_the_request_goes_out_once_on_the_customers_channel_with_a_signed_link(
    db: Session, runtime: Runtime, shop: Shop, email_inbox: InboxPublic
) -> None:
    service.update_review_settings(
        db, workspace_id=shop.workspace_id, data=ReviewSettingsUpdate(days_after=0)
    )
    order = delivered(db, shop)
    drain(runtime)
    request = request_of(db, order)
    assert request.channel == "email" and request.sent_at is not None
    [message] = db.scalars(select(Message).where(Message.conversation_id == request.conversation_id)).all()
    assert "Mug, T-shirt" in message.text
    link = re.search(r"https://shop\.example\.com/reviews/(\S+)", message.text) or re.search(
        r"/reviews/(\S+)", message.text
    )
    assert link is not None and service.request_of(SECRET_KEY, link.group(1)) == request.id
    db.rollback()
    again = service.send_request(
        db, workspace_id=shop.workspace_id, order_id=order.id, base_url=BASE, secret=SECRET_KEY
    )
    assert again is False  # asked already: nothing more goes out
    db.rollback()
    assert (
        len(db.scalars(select(Message).where(Message.conversation_id == request.conversation_id)).all()) == 1
    )
    db.rollback()


def test_a_customer_nobody_can_reach_is_not_asked(db: Session, runtime: Runtime, shop: Shop) -> None:
    service.update_review_settings(
        db, workspace_id=shop.workspace_id, data=ReviewSettingsUpdate(days_after=0)
    )
    order = delivered(db, shop)  # no email inbox: no channel to reach them on
    drain(runtime)
    request = request_of(db, order)
    db.rollback()
    assert request.sent_at is not None and request.channel == "" and request.conversation_id is None


def test_reviews_wait_for_moderation_and_only_approved_ones_count(
    db: Session, world: World, shop: Shop
) -> None:
    request_id, ids = asked(db, shop)
    written = service.submit_reviews(
        db,
        request_id=request_id,
        data=ReviewSubmission(
            reviews=[
                ReviewInput(
                    product_id=ids["T-shirt"], rating=5, title="Great fit", body="I love it, perfect."
                ),
                ReviewInput(product_id=ids["Mug"], rating=2, body="Arrived chipped, disappointing."),
            ]
        ),
    )
    assert [r.status for r in written] == [ReviewStatus.PENDING] * 2
    tee, mug = written
    assert tee.sentiment is not None and tee.sentiment > 0 and mug.sentiment is not None and mug.sentiment < 0
    ratings = service.product_ratings(db, workspace_id=shop.workspace_id)
    db.rollback()
    assert ratings[ids["T-shirt"]].count == 0 and ratings[ids["T-shirt"]].pending == 1
    service.moderate(db, principal=principal(world), review_id=tee.id, status=ReviewStatus.APPROVED)
    rejected = service.moderate(
        db, principal=principal(world), review_id=mug.id, status=ReviewStatus.REJECTED
    )
    assert rejected.moderated_by == "moderator@acme" and rejected.moderated_at is not None
    ratings = service.product_ratings(db, workspace_id=shop.workspace_id)
    db.rollback()
    assert (ratings[ids["T-shirt"]].count, ratings[ids["T-shirt"]].average) == (1, 5.0)
    assert ratings[ids["T-shirt"]].spread == [0, 0, 0, 0, 1] and ratings[ids["T-shirt"]].pending == 0
    assert (ratings[ids["Mug"]].count, ratings[ids["Mug"]].average, ratings[ids["Mug"]].pending) == (
        0,
        None,
        0,
    )
    approved = service.list_reviews(db, workspace_id=shop.workspace_id, status=ReviewStatus.APPROVED)
    db.rollback()
    assert [(r.product, r.rating, r.author) for r in approved] == [("T-shirt", 5, "")]


def test_one_review_per_product_and_order_and_none_for_a_product_not_in_it(db: Session, shop: Shop) -> None:
    request_id, ids = asked(db, shop)
    first = ReviewSubmission(reviews=[ReviewInput(product_id=ids["Mug"], rating=4)])
    service.submit_reviews(db, request_id=request_id, data=first)
    with pytest.raises(AlreadyReviewed):
        service.submit_reviews(
            db,
            request_id=request_id,
            data=ReviewSubmission(reviews=[ReviewInput(product_id=ids["Mug"], rating=1)]),
        )
    db.rollback()
    with pytest.raises(Invalid, match="not in this order"):
        service.submit_reviews(
            db,
            request_id=request_id,
            data=ReviewSubmission(reviews=[ReviewInput(product_id=uuid.uuid4(), rating=3)]),
        )
    db.rollback()
    both = ReviewSubmission(
        reviews=[
            ReviewInput(product_id=ids["Mug"], rating=1),
            ReviewInput(product_id=ids["T-shirt"], rating=3),
        ]
    )
    [added] = service.submit_reviews(db, request_id=request_id, data=both)  # the mug keeps its first review
    assert added.product == "T-shirt"
    mugs = service.list_reviews(db, workspace_id=shop.workspace_id, product_id=ids["Mug"])
    db.rollback()
    assert [r.rating for r in mugs] == [4]


def test_the_review_page_stores_once_and_refuses_forged_links(
    client: TestClient, db: Session, world: World, shop: Shop
) -> None:
    request_id, ids = asked(db, shop)
    token = service.review_link("", SECRET_KEY, request_id).removeprefix("/reviews/")
    page = client.get(f"/reviews/{token}")
    assert page.status_code == 200 and f'name="rating-{ids["Mug"]}"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    empty = client.post(f"/reviews/{token}", data={"csrf_token": csrf.group(1)})
    assert empty.status_code == 422 and "at least one product" in empty.text
    sent = client.post(
        f"/reviews/{token}",
        data={
            "csrf_token": csrf.group(1),
            f"rating-{ids['Mug']}": "5",
            f"title-{ids['Mug']}": "Lovely mug",
            f"body-{ids['Mug']}": "Keeps my tea warm.",
        },
    )
    assert sent.status_code == 200 and f'data-reviewed="{ids["Mug"]}"' in sent.text
    assert f'name="rating-{ids["Mug"]}"' not in sent.text and f'name="rating-{ids["T-shirt"]}"' in sent.text
    again = client.post(f"/reviews/{token}", data={"csrf_token": csrf.group(1), f"rating-{ids['Mug']}": "1"})
    assert again.status_code == 409
    [stored] = service.list_reviews(db, workspace_id=shop.workspace_id)
    db.rollback()
    assert (stored.rating, stored.title, stored.status) == (5, "Lovely mug", ReviewStatus.PENDING)
    no_csrf = client.post(f"/reviews/{token}", data={f"rating-{ids['T-shirt']}": "4"})
    assert no_csrf.status_code == 403
    signature = token.partition(".")[2]
    assert client.get(f"/reviews/{uuid.uuid4().hex}.{signature}").status_code == 404
    survey_link = feedback_service.survey_link("", SECRET_KEY, request_id)  # the same id, a survey's key
    assert client.get(f"/reviews/{survey_link.rpartition('/')[2]}").status_code == 404


def test_moderation_from_the_page_and_the_api_by_role(
    client: TestClient, db: Session, world: World, shop: Shop
) -> None:
    request_id, ids = asked(db, shop)
    [review] = service.submit_reviews(
        db,
        request_id=request_id,
        data=ReviewSubmission(reviews=[ReviewInput(product_id=ids["Mug"], rating=4, title="Nice")]),
    )
    page = client.get("/commerce/reviews", headers=world.token(Role.VIEWER))
    assert page.status_code == 200 and f'data-review="{review.id}"' in page.text
    assert f'action="/commerce/reviews/{review.id}/moderation"' not in page.text  # a viewer cannot moderate
    forbidden = client.post(
        f"/api/v1/commerce/reviews/{review.id}/moderation",
        json={"status": "approved"},
        headers=world.token(Role.AGENT),
    )
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "permission_denied"
    approved = client.post(
        f"/api/v1/commerce/reviews/{review.id}/moderation",
        json={"status": "approved"},
        headers=world.token(Role.ADMIN),
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    unknown = client.post(
        f"/api/v1/commerce/reviews/{uuid.uuid4()}/moderation",
        json={"status": "approved"},
        headers=world.token(Role.ADMIN),
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "review_not_found"
    [rating] = client.get("/api/v1/commerce/reviews/ratings", headers=world.token(Role.VIEWER)).json()
    assert (rating["product"], rating["count"], rating["average"]) == ("Mug", 1, 4.0)
    csv = client.get("/api/v1/commerce/reviews.csv?status=approved", headers=world.token(Role.VIEWER))
    assert csv.status_code == 200 and csv.text.splitlines()[1].split(",")[1:4] == ["Mug", "4", "Nice"]
    chart = client.get("/api/v1/commerce/reviews/chart.json", headers=world.token(Role.VIEWER))
    assert chart.status_code == 200 and '"product": "Mug"' in chart.text and '"stars": 4' in chart.text
    catalogue = client.get("/commerce/catalogue", headers=world.token(Role.VIEWER))
    assert catalogue.text.count('class="rating-summary"') == 1 and 'data-average="4.0"' in catalogue.text
    listing = client.get("/commerce/reviews?status=approved", headers=world.token(Role.OWNER))
    assert f'data-review="{review.id}"' in listing.text and "Reject" in listing.text


def test_a_review_and_its_request_join_the_timeline_and_go_with_erasure(
    db: Session, runtime: Runtime, world: World, shop: Shop, email_inbox: InboxPublic
) -> None:
    service.update_review_settings(
        db, workspace_id=shop.workspace_id, data=ReviewSettingsUpdate(days_after=0)
    )
    order = delivered(db, shop, "zoe@example.com")
    drain(runtime)
    request_id = request_of(db, order).id
    db.rollback()
    ids = products(db, shop)
    service.submit_reviews(
        db,
        request_id=request_id,
        data=ReviewSubmission(reviews=[ReviewInput(product_id=ids["Mug"], rating=3)]),
    )
    subject = _subject(db, world.workspace.id, "zoe@example.com")
    timeline = customers_service.timeline(
        db, workspace_id=world.workspace.id, customer_id=subject.customer_ids[0]
    )
    assert {"review_request", "review"} <= {item.kind for item in timeline}
    exported = service.export_customer_data(db, subject)
    assert [(r["product"], r["rating"]) for r in exported["reviews"]] == [("Mug", 3)]
    db.rollback()
    with runtime.sessions() as session, session.begin():
        assert service.erase_customer_data(session, subject) > 0
    assert service.list_reviews(db, workspace_id=shop.workspace_id) == []
    assert db.scalar(select(ReviewRequest.id).where(ReviewRequest.order_id == order.id)) is None
    db.rollback()


def test_the_cli_lists_moderates_and_sets(
    db: Session, world: World, shop: Shop, cli_env: dict[str, str]
) -> None:
    request_id, ids = asked(db, shop)
    [review] = service.submit_reviews(
        db,
        request_id=request_id,
        data=ReviewSubmission(reviews=[ReviewInput(product_id=ids["T-shirt"], rating=2, title="Too small")]),
    )
    runner = CliRunner()
    slug = world.workspace.slug
    listed = runner.invoke(cli_app, ["commerce", "reviews", "-w", slug, "--status", "pending"], env=cli_env)
    assert listed.exit_code == 0, listed.output
    assert str(review.id) in listed.output and "Too small" in listed.output
    moderated = runner.invoke(
        cli_app, ["commerce", "review-moderate", "-w", slug, str(review.id), "approved"], env=cli_env
    )
    assert moderated.exit_code == 0, moderated.output
    assert "is now approved" in moderated.output
    csv = runner.invoke(cli_app, ["commerce", "reviews", "-w", slug, "--format", "csv"], env=cli_env)
    assert csv.output.splitlines()[1].split(",")[1:3] == ["T-shirt", "2"]
    settings = runner.invoke(
        cli_app, ["commerce", "review-settings", "-w", slug, "--disabled", "--days-after", "10"], env=cli_env
    )
    assert settings.exit_code == 0 and "not asked" in settings.output
    assert service.review_settings(db, workspace_id=world.workspace.id).days_after == 10
    db.rollback()


def test_a_shop_page_reads_a_products_approved_reviews_with_its_write_key(
    client: TestClient, db: Session, world: World, other_world: World, shop: Shop
) -> None:
    request_id, ids = asked(db, shop)
    kept, hidden = service.submit_reviews(
        db,
        request_id=request_id,
        data=ReviewSubmission(
            reviews=[
                ReviewInput(product_id=ids["Mug"], rating=5, title="Lovely", body="Keeps tea warm."),
                ReviewInput(product_id=ids["T-shirt"], rating=1, body="Waiting for a moderator."),
            ]
        ),
    )
    service.moderate(db, principal=principal(world), review_id=kept.id, status=ReviewStatus.APPROVED)
    key = make_source(db, world).write_key
    others = make_source(db, other_world).write_key
    db.rollback()
    read = client.get(f"/v1/reviews/{key}?sku=MUG")
    assert read.status_code == 200 and read.headers["access-control-allow-origin"] == "*"
    body = read.json()
    assert (body["product"], body["count"], body["average"], body["spread"]) == (
        "Mug",
        1,
        5.0,
        [0, 0, 0, 0, 1],
    )
    [review] = body["reviews"]
    assert (review["rating"], review["title"], review["author"]) == (5, "Lovely", "")
    assert "customer_id" not in review and str(kept.customer_id) not in read.text
    pending = client.get(f"/v1/reviews/{key}?sku=TEE-S").json()
    assert (pending["count"], pending["reviews"]) == (0, [])  # the T-shirt's review waits: not shown
    assert hidden.status is ReviewStatus.PENDING
    refused = client.get("/v1/reviews/wk_unknown?sku=MUG")
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_write_key"
    assert refused.headers["access-control-allow-origin"] == "*"
    elsewhere = client.get(f"/v1/reviews/{others}?sku=MUG")  # another workspace has no such SKU
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "sku_not_found"
