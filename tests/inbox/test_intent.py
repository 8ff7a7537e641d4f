"""Detected intent: rules per language (en, fr, id, ca) with accents folded and word boundaries; computed on
every inbound message and shown with the customer's actions in the hour before the conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.inbox import service
from omnicx.inbox.intent import Intent, detect
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.tracking import service as tracking_service
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound

CASES = [
    ("en", "Where is my order? It has not arrived yet", Intent.ORDER_STATUS),
    ("en", "I want to return these shoes and get a refund", Intent.RETURN),
    ("en", "This is unacceptable, the box arrived damaged", Intent.COMPLAINT),
    ("en", "Is this jacket waterproof? What size should I take?", Intent.PRODUCT_QUESTION),
    ("en", "How much is the blue lamp? I'd like to buy two", Intent.PURCHASE),
    ("fr", "Où est ma commande ? Toujours pas reçue", Intent.ORDER_STATUS),
    ("fr", "Je voudrais retourner l'article et être remboursé", Intent.RETURN),
    ("fr", "C'est inacceptable, je suis très déçue, le produit est cassé", Intent.COMPLAINT),
    ("fr", "Est-ce que la veste est imperméable ? Quelle taille ?", Intent.PRODUCT_QUESTION),
    ("fr", "Je veux acheter deux lampes, quel est le prix ?", Intent.PURCHASE),
    ("id", "Pesanan saya belum sampai, di mana paketnya?", Intent.ORDER_STATUS),
    ("id", "Saya mau retur barang ini dan uang kembali", Intent.RETURN),
    ("id", "Saya sangat kecewa, barangnya rusak", Intent.COMPLAINT),
    ("id", "Apakah produk ini tersedia dalam warna merah?", Intent.PRODUCT_QUESTION),
    ("id", "Saya mau beli dua, berapa harganya?", Intent.PURCHASE),
    ("ca", "On és la meva comanda? Encara no ha arribat", Intent.ORDER_STATUS),
    ("ca", "Vull fer una devolució i el reemborsament", Intent.RETURN),
    ("ca", "És una vergonya, el producte ha arribat trencat", Intent.COMPLAINT),
    ("ca", "Aquesta jaqueta és impermeable? Quina talla?", Intent.PRODUCT_QUESTION),
    ("ca", "Vull comprar dues làmpades, quin és el preu?", Intent.PURCHASE),
]


@pytest.mark.parametrize(("language", "text", "expected"), CASES)
def test_each_language_detects_each_intent(language: str, text: str, expected: Intent) -> None:
    found = detect(text)
    assert found is not None
    assert (found.intent, found.language) == (expected, language)
    assert found.rule.startswith(f"{language}.{expected.value}.")
    assert 0.5 <= found.confidence <= 0.95


@pytest.mark.parametrize(
    ("with_accents", "without"),
    [
        ("Je suis déçue, c'est une réclamation", "JE SUIS DECUE, C'EST UNE RECLAMATION"),
        ("Vull fer una devolució", "vull fer una devolucio"),
    ],
)
def test_accents_and_case_do_not_matter(with_accents: str, without: str) -> None:
    a, b = detect(with_accents), detect(without)
    assert a is not None and b is not None
    assert (a.intent, a.language, a.rule) == (b.intent, b.language, b.rule)


@pytest.mark.parametrize(
    "text",
    [
        "Our turnover grew this year",
        "Thanks, have a nice day!",
        "Merci beaucoup",
        "Terima kasih",
        "Gràcies",
        "",
    ],
)
def test_words_only_match_on_word_boundaries_and_small_talk_has_no_intent(text: str) -> None:
    assert detect(text) is None


def test_a_refund_inside_a_complaint_is_routed_as_a_return() -> None:
    found = detect("The parcel came broken, I want a refund")
    assert found is not None and found.intent is Intent.RETURN


def test_intent_is_stored_on_inbound_and_kept_when_a_later_message_matches_nothing(
    db: Session, email_inbox: InboxPublic
) -> None:
    first = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("ana@example.com", "Où est ma commande ?", subject="")
    )
    found = service.conversation_insights(
        db, workspace_id=email_inbox.workspace_id, conversation_id=first.conversation_id
    )
    assert found.intent is not None and (found.intent.intent, found.intent.language) == ("order_status", "fr")
    service.receive(db, inbox_id=email_inbox.id, message=inbound("ana@example.com", "Merci !", subject=""))
    kept = service.get_conversation(
        db, workspace_id=email_inbox.workspace_id, conversation_id=first.conversation_id
    )
    assert kept.intent == "order_status"
    service.receive(
        db, inbox_id=email_inbox.id, message=inbound("ana@example.com", "Je veux être remboursée", subject="")
    )
    changed = service.get_conversation(
        db, workspace_id=email_inbox.workspace_id, conversation_id=first.conversation_id
    )
    assert changed.intent == "return"


def test_actions_in_the_hour_before_the_conversation_are_shown_beside_it(
    app,
    client: TestClient,
    cli_env: dict[str, str],
    db: Session,
    world: World,
    other_world: World,
    email_inbox: InboxPublic,
) -> None:  # type: ignore[no-untyped-def]
    got = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("lea@example.com", "Where is my order?", subject="", sender_verified=True),
    )
    assert got.customer_id is not None
    started = service.get_conversation(
        db, workspace_id=world.workspace.id, conversation_id=got.conversation_id
    ).created_at
    events = [
        ("Product Viewed", timedelta(minutes=50), {"name": "Blue lamp"}),
        ("Cart Abandoned", timedelta(minutes=30), {"value": 59}),
        ("Order Completed", timedelta(minutes=10), {"order_id": "1042"}),
        ("Product Viewed", timedelta(minutes=90), {"name": "Too early"}),
    ]
    for n, (name, before, properties) in enumerate(events):
        tracking_service.record_server_event(
            db,
            workspace_id=world.workspace.id,
            customer_id=got.customer_id,
            event=name,
            at=started - before,
            properties=properties,
            message_id=f"lead-{n}",
        )
    db.commit()
    response = client.get(
        f"/api/v1/inbox/conversations/{got.conversation_id}/insights", headers=world.token(Role.AGENT)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"]["intent"] == "order_status"
    assert [(a["kind"], a["title"], a["detail"]) for a in body["actions"]] == [
        ("viewed", "Product Viewed", "Blue lamp"),
        ("cart", "Cart Abandoned", "59"),
        ("order", "Order Completed", "1042"),
    ]
    hidden = client.get(
        f"/api/v1/inbox/conversations/{got.conversation_id}/insights", headers=other_world.token(Role.OWNER)
    )
    assert hidden.status_code == 404 and hidden.json()["code"] == "conversation_not_found"
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{got.conversation_id}")
    assert 'id="conversation-insights"' in page.text
    assert 'data-intent="order_status"' in page.text and "Cart Abandoned" in page.text
    assert "Too early" not in page.text
    shown = CliRunner().invoke(
        cli_app, ["inbox", "insights", str(got.conversation_id), "-w", "acme"], env=cli_env
    )
    assert shown.exit_code == 0, shown.output
    assert "intent: order_status (en" in shown.output and "cart  Cart Abandoned" in shown.output


@pytest.mark.parametrize("language", ["en", "fr", "id", "ca"])
def test_every_demo_script_is_recognised_with_or_without_its_subject(language: str) -> None:
    """The demo's customers write what real ones do; each scripted opening must be read as the intent it was
    written for (chat messages have no subject, emails do)."""
    from omnicx.demo.texts import SCRIPTS

    for exchange in SCRIPTS[language]:
        text = exchange.opening.format(order="ML-12345", product="Figue candle")
        subject = exchange.subject.format(order="ML-12345", product="Figue candle")
        for message in (text, f"{subject}\n{text}"):
            found = detect(message)
            assert found is not None and found.intent.value == exchange.intent, (message, found)
