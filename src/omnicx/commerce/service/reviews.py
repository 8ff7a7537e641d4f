"""Product reviews: asked for a set number of days after an order reached the customer, written through a signed
link, shown on the product once a moderator approved them.

- An order delivered or picked up plans its one review request (`plan_request`, in the status change's
  transaction) and queues the `commerce.request_review` job for the day it is due.
- The job asks on the customer's channel through the inbox's notices (`notify_customer`, exactly once per
  order, keyed), with a link signed for that request (`kernel.access.security.sign_id`, its own purpose, so a
  satisfaction or survey link never opens it).
- The link's page lists the order's products; each gets stars, a title and a text, once (`AlreadyReviewed`
  when every product sent was reviewed already). Reviews wait, `pending`, until a moderator approves or rejects
  them; only approved ones count in a product's rating and are shown on it.
- Requests and reviews join the customer's timeline; the text's sentiment is scored as it is stored.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce.enums import OrderStatus, ReviewStatus
from omnicx.commerce.errors import AlreadyReviewed, ReviewNotFound, VariantNotFound
from omnicx.commerce.models import Order, OrderLine, Product, Review, ReviewRequest, ReviewSettings, Variant
from omnicx.commerce.schemas import (
    RATING_MAX,
    ProductRating,
    ReviewedProduct,
    ReviewForm,
    ReviewPublic,
    ReviewRequestPublic,
    ReviewSettingsPublic,
    ReviewSettingsUpdate,
    ReviewSubmission,
    ShopProductReviews,
    ShopReview,
)
from omnicx.customers.schemas import TimelineItem
from omnicx.identity import service as identity_service
from omnicx.identity.errors import CustomerNotFound
from omnicx.inbox import service as inbox_service
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import sign_id, signed_id
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import gettext, translations
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.jobs import service as jobs_service

REQUEST_JOB = "commerce.request_review"
REVIEW_PATH = "/reviews"
_PURPOSE = b"omnicx.commerce.review-link"
REACHED = (OrderStatus.DELIVERED, OrderStatus.PICKED_UP)
DEFAULTS = ReviewSettingsPublic(enabled=True, days_after=7)
ASK = N_("How do you like what you received? Tell other customers in a minute: %(products)s.")
ASK_SUBJECT = N_("Your opinion on your order")
WRITE_HERE = N_("Write your review here:")


# --- Settings ---------------------------------------------------------------------------------------------------


def review_settings(session: Session, *, workspace_id: uuid.UUID) -> ReviewSettingsPublic:
    """The workspace's review settings (the defaults until someone changes them)."""
    row = session.get(ReviewSettings, workspace_id)
    if row is None:
        return DEFAULTS
    return ReviewSettingsPublic(enabled=row.enabled, days_after=row.days_after)


def update_review_settings(
    session: Session, *, workspace_id: uuid.UUID, data: ReviewSettingsUpdate
) -> ReviewSettingsPublic:
    """Change whether and when reviews are asked for; requests already planned keep their date. Commits."""
    row = session.get(ReviewSettings, workspace_id)
    if row is None:
        row = ReviewSettings(workspace_id=workspace_id)
        session.add(row)
    row.enabled, row.days_after, row.updated_at = data.enabled, data.days_after, utcnow()
    session.commit()
    return ReviewSettingsPublic(enabled=row.enabled, days_after=row.days_after)


# --- Asking -----------------------------------------------------------------------------------------------------


def plan_request(session: Session, order: Order, now: datetime) -> None:
    """In the transaction that moved `order` to delivered or picked up: plan its review request and queue the
    job for the day it is due. An order without a customer, or a workspace that asks nothing, plans nothing."""
    if order.customer_id is None:
        return
    settings = review_settings(session, workspace_id=order.workspace_id)
    if not settings.enabled:
        return
    exists = session.scalar(select(ReviewRequest.id).where(ReviewRequest.order_id == order.id))
    if exists is not None:
        return
    due = now + timedelta(days=settings.days_after)
    request = ReviewRequest(
        workspace_id=order.workspace_id,
        order_id=order.id,
        customer_id=order.customer_id,
        due_at=due,
        created_at=now,
    )
    session.add(request)
    session.flush()
    jobs_service.enqueue(
        session,
        kind=REQUEST_JOB,
        payload={"order_id": str(order.id)},
        workspace_id=order.workspace_id,
        run_at=due,
        idempotency_key=f"review:{order.id}",
    )


def due_requests(session: Session, *, workspace_id: uuid.UUID, before: datetime) -> list[ReviewRequestPublic]:
    """Requests due before `before` and not sent yet, oldest first (what the queued jobs will send)."""
    rows = session.scalars(
        select(ReviewRequest)
        .where(
            ReviewRequest.workspace_id == workspace_id,
            ReviewRequest.sent_at.is_(None),
            ReviewRequest.due_at < before,
        )
        .order_by(ReviewRequest.due_at, ReviewRequest.id)
    )
    return [ReviewRequestPublic.model_validate(row) for row in rows]


def review_link(base_url: str, secret: str, request_id: uuid.UUID) -> str:
    """The review page of one request."""
    return f"{base_url.rstrip('/')}{REVIEW_PATH}/{sign_id(secret, _PURPOSE, request_id)}"


def request_of(secret: str, token: str) -> uuid.UUID | None:
    """The request a review link names, or None when it is forged or malformed."""
    return signed_id(secret, _PURPOSE, token)


def send_request(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    order_id: uuid.UUID,
    base_url: str,
    secret: str,
    now: datetime | None = None,
) -> bool:
    """Ask the order's customer for their reviews (the job); False if it was asked already or nobody can be
    reached (then `channel` stays empty). No commit: the job's transaction holds the notice and the request."""
    request = session.scalar(
        select(ReviewRequest)
        .where(ReviewRequest.workspace_id == workspace_id, ReviewRequest.order_id == order_id)
        .with_for_update()
    )
    if request is None or request.sent_at is not None or request.customer_id is None:
        return False
    now = now or utcnow()
    default = auth_service.get_workspace(session, workspace_id=workspace_id).default_language
    language = inbox_service.customer_language(
        session, workspace_id=workspace_id, customer_id=request.customer_id, default=default
    )
    words = translations(language)
    titles = ", ".join(product.title for product in _order_products(session, order_id))
    text = words.gettext(ASK) % {"products": titles}
    text += "\n\n" + words.gettext(WRITE_HERE) + "\n" + review_link(base_url, secret, request.id)
    notice = inbox_service.notify_customer(
        session,
        workspace_id=workspace_id,
        customer_id=request.customer_id,
        subject=words.gettext(ASK_SUBJECT),
        text=text,
        key=f"review:{order_id}",
        now=now,
    )
    request.sent_at, request.language = now, language
    if notice is None:
        return False
    request.channel, request.conversation_id = notice.channel.value, notice.conversation_id
    return True


def _order_products(session: Session, order_id: uuid.UUID) -> list[Product]:
    """The distinct products of an order's lines, by title."""
    return list(
        session.scalars(
            select(Product)
            .join(Variant, Variant.product_id == Product.id)
            .join(
                OrderLine, (OrderLine.sku == Variant.sku) & (OrderLine.workspace_id == Variant.workspace_id)
            )
            .where(OrderLine.order_id == order_id)
            .distinct()
            .order_by(Product.title, Product.id)
        )
    )


# --- Writing ----------------------------------------------------------------------------------------------------


def _request(session: Session, request_id: uuid.UUID) -> ReviewRequest:
    request = session.get(ReviewRequest, request_id)
    if request is None:
        raise ReviewNotFound("no such review request")
    return request


def review_form(session: Session, *, request_id: uuid.UUID) -> ReviewForm:
    """What a review link opens: the order's products, each with its review once written."""
    request = _request(session, request_id)
    written = {
        review.product_id: review
        for review in session.scalars(select(Review).where(Review.request_id == request.id))
    }
    products = _order_products(session, request.order_id)
    return ReviewForm(
        order_id=request.order_id,
        language=request.language,
        products=[
            ReviewedProduct(
                product_id=product.id,
                title=product.title,
                review=_public(session, written[product.id], {}) if product.id in written else None,
            )
            for product in products
        ],
    )


def submit_reviews(
    session: Session, *, request_id: uuid.UUID, data: ReviewSubmission, now: datetime | None = None
) -> list[ReviewPublic]:
    """Store the reviews of a request's products, pending moderation; a product reviewed already keeps its
    first review. Raises `AlreadyReviewed` when nothing new was sent, `Invalid` for a product not in the order.
    Commits."""
    request = session.scalar(select(ReviewRequest).where(ReviewRequest.id == request_id).with_for_update())
    if request is None:
        raise ReviewNotFound("no such review request")
    products = {product.id: product for product in _order_products(session, request.order_id)}
    strangers = [item.product_id for item in data.reviews if item.product_id not in products]
    if strangers:
        raise Invalid("a review names a product that is not in this order")
    done = set(session.scalars(select(Review.product_id).where(Review.request_id == request.id)))
    now = now or utcnow()
    added: list[Review] = []
    for item in data.reviews:
        if item.product_id in done:
            continue
        done.add(item.product_id)
        text = f"{item.title}. {item.body}".strip(". ")
        language = inbox_service.detect_language(text) if text else request.language
        sentiment = inbox_service.score_sentiment(text, language=language).compound if text else None
        review = Review(
            workspace_id=request.workspace_id,
            request_id=request.id,
            order_id=request.order_id,
            product_id=item.product_id,
            customer_id=request.customer_id,
            rating=item.rating,
            title=item.title.strip(),
            body=item.body.strip(),
            language=language,
            sentiment=None if sentiment is None else round(sentiment, 3),
            status=ReviewStatus.PENDING,
            created_at=now,
        )
        session.add(review)
        added.append(review)
    if not added:
        raise AlreadyReviewed("these products were reviewed already; thank you")
    session.flush()
    names: dict[uuid.UUID, str] = {}
    result = [_public(session, review, names) for review in added]
    session.commit()
    return result


# --- Moderating and showing -------------------------------------------------------------------------------------


def list_reviews(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    status: ReviewStatus | None = None,
    product_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[ReviewPublic]:
    """The workspace's reviews, newest first, of one status and product when given."""
    stmt = select(Review).where(Review.workspace_id == workspace_id)
    if status is not None:
        stmt = stmt.where(Review.status == status)
    if product_id is not None:
        stmt = stmt.where(Review.product_id == product_id)
    rows = session.scalars(stmt.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit))
    names: dict[uuid.UUID, str] = {}
    return [_public(session, review, names) for review in rows]


def moderate(
    session: Session,
    *,
    principal: Principal,
    review_id: uuid.UUID,
    status: ReviewStatus,
    now: datetime | None = None,
) -> ReviewPublic:
    """Approve (shown on its product) or reject (hidden) a review, or put it back to pending. Commits.
    `now`: when (a history replayed at its own times, as the demo's seeding does)."""
    review = session.scalar(
        select(Review).where(Review.workspace_id == principal.workspace_id, Review.id == review_id)
    )
    if review is None:
        raise ReviewNotFound("no such review")
    review.status = status
    pending = status is ReviewStatus.PENDING
    review.moderated_by = "" if pending else principal.label or principal.kind
    review.moderated_at = None if pending else now or utcnow()
    session.flush()
    result = _public(session, review, {})
    session.commit()
    return result


def product_ratings(
    session: Session, *, workspace_id: uuid.UUID, product_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, ProductRating]:
    """Each product's approved reviews in figures (count, average, spread of stars) and how many wait for a
    moderator; products without any review are left out."""
    stmt = (
        select(Review.product_id, Product.title, Review.status, Review.rating, func.count())
        .join(Product, Product.id == Review.product_id)
        .where(Review.workspace_id == workspace_id)
        .group_by(Review.product_id, Product.title, Review.status, Review.rating)
    )
    if product_ids is not None:
        stmt = stmt.where(Review.product_id.in_(list(product_ids)))
    ratings: dict[uuid.UUID, ProductRating] = {}
    for product_id, title, status, rating, count in session.execute(stmt):
        entry = ratings.setdefault(
            product_id,
            ProductRating(
                product_id=product_id,
                product=title,
                count=0,
                average=None,
                spread=[0] * RATING_MAX,
                pending=0,
            ),
        )
        if status == ReviewStatus.APPROVED:
            entry.spread[rating - 1] += count
        elif status == ReviewStatus.PENDING:
            entry.pending += count
    for entry in ratings.values():
        entry.count = sum(entry.spread)
        if entry.count:
            entry.average = round(sum(stars * n for stars, n in enumerate(entry.spread, 1)) / entry.count, 2)
    return ratings


def reviews_csv(reviews: Sequence[ReviewPublic]) -> str:
    """The reviews as CSV, one row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["created_at", "product", "rating", "title", "body", "language", "sentiment", "status", "order_id"]
    )
    for review in reviews:
        writer.writerow(
            [
                review.created_at.isoformat(),
                review.product,
                review.rating,
                review.title,
                review.body,
                review.language,
                "" if review.sentiment is None else review.sentiment,
                review.status.value,
                review.order_id,
            ]
        )
    return out.getvalue()


def _public(session: Session, review: Review, names: dict[uuid.UUID, str]) -> ReviewPublic:
    product = session.get(Product, review.product_id)
    return ReviewPublic(
        id=review.id,
        order_id=review.order_id,
        product_id=review.product_id,
        product=product.title if product else "",
        customer_id=review.customer_id,
        author=_author(session, review, names),
        rating=review.rating,
        title=review.title,
        body=review.body,
        language=review.language,
        sentiment=review.sentiment,
        status=review.status,
        moderated_by=review.moderated_by,
        moderated_at=review.moderated_at,
        created_at=review.created_at,
    )


def _author(session: Session, review: Review, names: dict[uuid.UUID, str]) -> str:
    """A review is signed with its writer's first name only (cached per listing)."""
    if review.customer_id is None:
        return ""
    if review.customer_id not in names:
        try:
            customer = identity_service.get_customer(
                session, workspace_id=review.workspace_id, customer_id=review.customer_id
            )
            first = customer.display_name.split()[0] if customer.display_name.split() else ""
            names[review.customer_id] = "" if "@" in first else first
        except CustomerNotFound:
            names[review.customer_id] = ""
    return names[review.customer_id]


def shop_reviews(
    session: Session, *, workspace_id: uuid.UUID, sku: str, limit: int = 20
) -> ShopProductReviews:
    """The approved reviews of the product a SKU belongs to, for the shop's product page (nothing a visitor
    should not read: no customer ids, no pending or rejected reviews)."""
    variant = session.scalar(select(Variant).where(Variant.workspace_id == workspace_id, Variant.sku == sku))
    if variant is None:
        raise VariantNotFound(f"no product has the SKU {sku!r}")
    product = session.get(Product, variant.product_id)
    assert product is not None
    rating = product_ratings(session, workspace_id=workspace_id, product_ids=[product.id]).get(product.id)
    rows = session.scalars(
        select(Review)
        .where(
            Review.workspace_id == workspace_id,
            Review.product_id == product.id,
            Review.status == ReviewStatus.APPROVED,
        )
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    )
    names: dict[uuid.UUID, str] = {}
    return ShopProductReviews(
        product=product.title,
        sku=sku,
        count=rating.count if rating else 0,
        average=rating.average if rating else None,
        spread=rating.spread if rating else [0] * RATING_MAX,
        reviews=[
            ShopReview(
                rating=review.rating,
                title=review.title,
                body=review.body,
                author=_author(session, review, names),
                language=review.language,
                created_at=review.created_at,
            )
            for review in rows
        ],
    )


# --- The customer's timeline ------------------------------------------------------------------------------------


def review_timeline(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Customer 360 timeline provider: review requests sent and reviews written, newest first."""
    ids = list(customer_ids)
    requests = session.scalars(
        select(ReviewRequest)
        .where(
            ReviewRequest.workspace_id == workspace_id,
            ReviewRequest.customer_id.in_(ids),
            ReviewRequest.sent_at.is_not(None),
            ReviewRequest.channel != "",
        )
        .order_by(ReviewRequest.sent_at.desc())
        .limit(limit)
    )
    items = [
        TimelineItem(
            at=request.sent_at or request.created_at,
            kind="review_request",
            title=gettext("Asked to review an order"),
            detail="",
            channel=request.channel,
            direction="outbound",
            url=f"/commerce/orders/{request.order_id}",
            source="commerce",
        )
        for request in requests
    ]
    rows = session.execute(
        select(Review, Product.title)
        .join(Product, Product.id == Review.product_id)
        .where(Review.workspace_id == workspace_id, Review.customer_id.in_(ids))
        .order_by(Review.created_at.desc())
        .limit(limit)
    ).all()
    items += [
        TimelineItem(
            at=review.created_at,
            kind="review",
            title=gettext("Reviewed %(product)s: %(rating)s/5") % {"product": title, "rating": review.rating},
            detail=review.title or review.body[:140],
            direction="inbound",
            url=f"/commerce/reviews?product={review.product_id}",
            source="commerce",
        )
        for review, title in rows
    ]
    return items
