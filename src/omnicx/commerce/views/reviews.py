"""Pages of product reviews: Commerce → Reviews (moderation, each product's rating, the settings) and the public
page a review link opens, where the customer rates each product of their order."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.enums import ReviewStatus
from omnicx.commerce.errors import ReviewNotFound
from omnicx.commerce.schemas import RATING_MAX, ReviewInput, ReviewSettingsUpdate, ReviewSubmission
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import gettext, set_language
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page, validation_message
from omnicx.kernel.web.limits import public_form
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

ReviewReader = Annotated[Principal, require(Action.FEEDBACK_READ)]
ReviewManager = Annotated[Principal, require(Action.FEEDBACK_MANAGE)]
STATUS_NAMES = {
    ReviewStatus.PENDING: N_("Waiting for moderation"),
    ReviewStatus.APPROVED: N_("Approved"),
    ReviewStatus.REJECTED: N_("Rejected"),
}


def _reviews_page(
    request: Request,
    session: Session,
    principal: Principal,
    status: ReviewStatus | None,
    product: uuid.UUID | None,
    *,
    error: str | None = None,
    http_status: int = 200,
) -> HTMLResponse:
    ws = principal.workspace_id
    ratings = service.product_ratings(session, workspace_id=ws)
    ordered = sorted(ratings.values(), key=lambda r: (-(r.average or 0), r.product))
    query = {k: str(v) for k, v in (("status", status), ("product_id", product)) if v is not None}
    context: dict[str, Any] = {
        "reviews": service.list_reviews(session, workspace_id=ws, status=status, product_id=product),
        "ratings": ordered,
        "chart_json": json.dumps(service.ratings_chart_spec(ordered)),
        "status": status,
        "product": ratings.get(product) if product else None,
        "statuses": list(ReviewStatus),
        "status_names": STATUS_NAMES,
        "settings": service.review_settings(session, workspace_id=ws),
        "can_moderate": allows(principal.role, Action.FEEDBACK_MANAGE),
        "export_query": urlencode(query),
        "back": f"/commerce/reviews?{urlencode({k: v for k, v in query.items() if k == 'status'})}",
        "error": error,
    }
    return render(request, "commerce/reviews.html", context, status=http_status)


@router.get("/commerce/reviews", response_class=HTMLResponse)
def reviews_page(
    request: Request,
    session: SessionDep,
    principal: ReviewReader,
    status: ReviewStatus | None = ReviewStatus.PENDING,
    product: uuid.UUID | None = None,
) -> HTMLResponse:
    """Reviews to moderate (or approved, or rejected), each product's stars, and when customers are asked."""
    return _reviews_page(request, session, principal, status, product)


@router.post("/commerce/reviews/{review_id}/moderation", response_class=HTMLResponse)
def moderate_review(
    review_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: ReviewManager,
    status: Annotated[ReviewStatus, Form()],
    back: Annotated[str, Form(max_length=300)] = "/commerce/reviews",
) -> Response:
    """Approve or reject one review, then back to the list it was in."""
    return redirect_or_page(
        lambda: service.moderate(session, principal=principal, review_id=review_id, status=status),
        to=back if back.startswith("/commerce/reviews") else "/commerce/reviews",
        page=lambda message, code: _reviews_page(
            request, session, principal, ReviewStatus.PENDING, None, error=message, http_status=code
        ),
        session=session,
    )


@router.post("/commerce/reviews/settings", response_class=HTMLResponse)
def update_settings(
    request: Request,
    session: SessionDep,
    principal: ReviewManager,
    days_after: Annotated[int, Form(ge=0, le=90)],
    enabled: Annotated[bool, Form()] = False,
) -> Response:
    """Whether customers are asked, and how many days after delivery or pickup."""
    return redirect_or_page(
        lambda: service.update_review_settings(
            session,
            workspace_id=principal.workspace_id,
            data=ReviewSettingsUpdate(enabled=enabled, days_after=days_after),
        ),
        to="/commerce/reviews",
        page=lambda message, code: _reviews_page(
            request, session, principal, ReviewStatus.PENDING, None, error=message, http_status=code
        ),
        session=session,
    )


# The public page a review link opens: the order's products, each with stars, a title and a text. Like the
# satisfaction links, it records nothing until the customer sends the form.
Token = Annotated[str, Path(min_length=10, max_length=100)]
PublicForm = public_form("feedback_links")


async def _posted(request: Request) -> dict[str, str]:
    """The review form's fields (one rating, title and text per product, named after the product's id)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _review_page(
    request: Request,
    session: Session,
    secret: str,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    request_id = service.request_of(secret, token)
    try:
        if request_id is None:
            raise ReviewNotFound("no such review request")
        form = service.review_form(session, request_id=request_id)
    except ReviewNotFound:
        return render(request, "commerce/review_answer.html", {"invalid": True}, status=404)
    if form.language:
        set_language(form.language)
    context = {
        "form": form,
        "token": token,
        "stars": list(range(RATING_MAX, 0, -1)),
        "open": [p for p in form.products if p.review is None],
        "error": error,
        "invalid": False,
    }
    return render(request, "commerce/review_answer.html", context, status=status)


@router.get("/reviews/{token}", response_class=HTMLResponse)
def review_page(request: Request, session: SessionDep, runtime: RuntimeDep, token: Token) -> HTMLResponse:
    return _review_page(request, session, runtime.settings.resolved_secret_key, token)


@router.post("/reviews/{token}", response_class=HTMLResponse, dependencies=PublicForm)
def send_reviews(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Token,
    fields: Annotated[dict[str, str], Depends(_posted)],
) -> HTMLResponse:
    """Store the reviews of the products given stars; a forged link is not found, products reviewed already
    keep their first review."""
    secret = runtime.settings.resolved_secret_key
    request_id = service.request_of(secret, token)
    if request_id is None:
        return _review_page(request, session, secret, token)
    rated = {key.removeprefix("rating-"): value for key, value in fields.items() if key.startswith("rating-")}
    rated = {product: stars for product, stars in rated.items() if stars}
    if not rated:
        error = gettext("Choose the stars of at least one product.")
        return _review_page(request, session, secret, token, error=error, status=422)
    try:
        items = [
            ReviewInput(
                product_id=uuid.UUID(product),
                rating=int(stars),
                title=fields.get(f"title-{product}", ""),
                body=fields.get(f"body-{product}", ""),
            )
            for product, stars in rated.items()
        ]
        service.submit_reviews(session, request_id=request_id, data=ReviewSubmission(reviews=items))
    except ValidationError as exc:
        return _review_page(request, session, secret, token, error=validation_message(exc), status=422)
    except ValueError:  # a field named after no product id, or stars that are not a number
        error = gettext("This form could not be read; please try again.")
        return _review_page(request, session, secret, token, error=error, status=422)
    except DomainError as exc:
        session.rollback()
        return _review_page(request, session, secret, token, error=exc.message, status=exc.status)
    return _review_page(request, session, secret, token)
