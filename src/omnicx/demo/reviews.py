"""The demo's product reviews: every order that reached its customer was asked for reviews a week later, at
that time, on the customer's channel; about a third of them answered within a few days, mostly kindly, in the
four languages the shop's customers write in. A moderator approved most reviews older than five days and
rejected the odd one; the latest wait for moderation.

Asked here at historical times: the `commerce.request_review` jobs the deliveries queued then find their
request sent and send nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import ReviewStatus
from omnicx.commerce.schemas import ReviewInput, ReviewSubmission
from omnicx.kernel.access.principal import Principal

ANSWERED = 0.35  # share of customers who write reviews
STARS = (3, 4, 10, 30, 53)  # weights of 1..5 stars: a liked shop
LANGUAGE_WEIGHTS = {"en": 40, "fr": 35, "id": 15, "ca": 10}
MODERATED_AFTER = timedelta(days=5)  # a moderator passes by once or twice a week
REJECTED = 0.06
TEXTS = {
    "en": {
        "good": [
            ("Love it", "Exactly as pictured, great quality."),
            ("Perfect", "Fits well and arrived quickly. Very happy!"),
            ("Great value", "Good material, I would buy it again."),
        ],
        "bad": [
            ("Disappointed", "Arrived damaged and the colour is not as shown."),
            ("Poor quality", "It broke after a week. Not worth the price."),
        ],
    },
    "fr": {
        "good": [
            ("Parfait", "Conforme à la photo, très bonne qualité."),
            ("Très contente", "Taille bien et livraison rapide. Je recommande !"),
            ("Super", "Belle matière, je le rachèterai."),
        ],
        "bad": [
            ("Déçue", "Arrivé abîmé et la couleur n'est pas celle de la photo."),
            ("Mauvaise qualité", "Cassé au bout d'une semaine. Trop cher pour ce que c'est."),
        ],
    },
    "id": {
        "good": [
            ("Suka sekali", "Sesuai foto, kualitasnya bagus."),
            ("Sempurna", "Ukurannya pas dan cepat sampai. Sangat puas!"),
        ],
        "bad": [
            ("Kecewa", "Barang datang rusak dan warnanya tidak sesuai."),
            ("Kualitas buruk", "Rusak setelah seminggu. Tidak sebanding dengan harganya."),
        ],
    },
    "ca": {
        "good": [
            ("M'encanta", "Igual que a la foto, molt bona qualitat."),
            ("Perfecte", "Em va bé i va arribar ràpid. Molt contenta!"),
        ],
        "bad": [
            ("Decebuda", "Va arribar malmès i el color no és el de la foto."),
            ("Mala qualitat", "Es va trencar al cap d'una setmana. No val el que costa."),
        ],
    },
}


def seed_reviews(
    session: Session, *, owner: Principal, now: datetime, base_url: str, secret: str, rng: random.Random
) -> int:
    """Send the review requests due before `now` at their time, write some reviews, moderate the older ones;
    returns the reviews written."""
    workspace_id = owner.workspace_id
    written = 0
    for request in commerce_service.due_requests(session, workspace_id=workspace_id, before=now):
        sent = commerce_service.send_request(
            session,
            workspace_id=workspace_id,
            order_id=request.order_id,
            base_url=base_url,
            secret=secret,
            now=request.due_at,
        )
        session.commit()
        answered_at = request.due_at + timedelta(hours=rng.uniform(2, 96))
        if not sent or rng.random() >= ANSWERED or answered_at >= now:
            continue
        written += _write(session, owner, request.id, answered_at, now, rng)
    return written


def _write(
    session: Session, owner: Principal, request_id: uuid.UUID, at: datetime, now: datetime, rng: random.Random
) -> int:
    """The customer reviews each product of the order, some with words; a moderator passes by later."""
    form = commerce_service.review_form(session, request_id=request_id)
    language = rng.choices(list(LANGUAGE_WEIGHTS), weights=list(LANGUAGE_WEIGHTS.values()))[0]
    items = []
    for product in form.products:
        stars = rng.choices(range(1, 6), weights=STARS)[0]
        title, body = ("", "")
        if stars != 3 and rng.random() < 0.7:
            title, body = rng.choice(TEXTS[language]["good" if stars >= 4 else "bad"])
        items.append(ReviewInput(product_id=product.product_id, rating=stars, title=title, body=body))
    if not items:
        return 0
    reviews = commerce_service.submit_reviews(
        session, request_id=request_id, data=ReviewSubmission(reviews=items), now=at
    )
    for review in reviews:
        moderated_at = at + MODERATED_AFTER * rng.uniform(0.2, 1)
        if moderated_at >= now - MODERATED_AFTER * 0.2:
            continue  # the latest wait for a moderator
        status = ReviewStatus.REJECTED if rng.random() < REJECTED else ReviewStatus.APPROVED
        commerce_service.moderate(
            session, principal=owner, review_id=review.id, status=status, now=moderated_at
        )
    return len(reviews)
