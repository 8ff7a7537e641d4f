"""An email address belongs to one workspace, and only after proof: a code mailed to it, or a DNS TXT record for
its whole domain. Until then its inbox receives nothing; another workspace's address answers one generic error
that names nobody. Inbound mail goes through real SMTP; codes are read from the mail omnicx really sends."""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.inbox import service as inbox_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.conftest import SmtpSink, inbound_smtp, settings, smtp_sink
from tests.conftest import World
from tests.helpers import page_csrf, prove_domain, sign_in
from tests.inbox.conftest import drain

__all__ = ["inbound_smtp", "settings", "smtp_sink"]  # fixtures shared with these tests

THEIRS = "help@globex.example.com"


def create_inbox(client: TestClient, world: World, address: str, name: str = "Support") -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/inbox/inboxes",
        json={"channel": "email", "name": name, "address": address},
        headers=world.token(Role.ADMIN),
    )
    return {"status": response.status_code, **response.json()}


def mail(port: int, to: str, *, message_id: str) -> None:
    email = EmailMessage()
    email["From"] = "Alice <alice@example.com>"
    email["To"] = to
    email["Subject"] = "Hello"
    email["Message-ID"] = message_id
    email.set_content("Where is my order?")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(email)


def conversations(client: TestClient, world: World) -> list[dict]:  # type: ignore[type-arg]
    response = client.get("/api/v1/inbox/conversations", headers=world.token(Role.AGENT))
    assert response.status_code == 200
    return list(response.json())


def code_sent_to(sink: SmtpSink, address: str) -> str:
    [sent] = [m for m in sink.messages if m["To"] == address][-1:]
    found = re.search(r"\b(\d{6})\b", sent["Subject"])
    assert found, sent["Subject"]
    return found.group(1)


def claims(client: TestClient, world: World) -> list[dict]:  # type: ignore[type-arg]
    return list(client.get("/api/v1/ownership/claims", headers=world.token(Role.ADMIN)).json())


def assert_generic(answer: dict, other: World) -> None:  # type: ignore[type-arg]
    """The refusal names neither the other workspace nor whether it holds or has proven the address."""
    assert answer["status"] == 409
    text = str(answer).lower()
    for secret in (
        other.workspace.slug,
        other.workspace.name.lower(),
        str(other.workspace.id),
        "globex.example",
    ):
        assert secret not in text


def test_an_unverified_inbox_receives_nothing_until_its_code_is_typed(
    client: TestClient, runtime: Runtime, world: World, inbound_smtp: int, smtp_sink: SmtpSink
) -> None:
    made = create_inbox(client, world, "Hello@Shop.example.org")
    assert made["status"] == 201
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail(inbound_smtp, "hello@shop.example.org", message_id="<before@example.com>")
    assert conversations(client, world) == []
    drain(runtime)  # the code is mailed by a job, like every outbound mail
    code = code_sent_to(smtp_sink, "hello@shop.example.org")
    [claim] = claims(client, world)
    assert claim["status"] == "pending" and claim["value"] == "hello@shop.example.org"
    url = f"/api/v1/ownership/claims/{claim['id']}/confirm"
    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(url, json={"code": wrong}, headers=world.token(Role.ADMIN))
    assert refused.status_code == 422 and refused.json()["code"] == "ownership_wrong_code"
    mail_refused = pytest.raises(smtplib.SMTPRecipientsRefused)
    with mail_refused:
        mail(inbound_smtp, "hello@shop.example.org", message_id="<still-not@example.com>")
    confirmed = client.post(url, json={"code": code}, headers=world.token(Role.ADMIN))
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "verified"
    assert confirmed.json()["method"] == "code"
    mail(inbound_smtp, "hello@shop.example.org", message_id="<after@example.com>")
    assert len(conversations(client, world)) == 1


def test_a_code_is_void_after_five_wrong_tries(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    assert create_inbox(client, world, "orders@shop.example.org")["status"] == 201
    drain(runtime)
    code = code_sent_to(smtp_sink, "orders@shop.example.org")
    [claim] = claims(client, world)
    url = f"/api/v1/ownership/claims/{claim['id']}/confirm"
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post(url, json={"code": wrong}, headers=world.token(Role.ADMIN)).status_code == 422
    late = client.post(url, json={"code": code}, headers=world.token(Role.ADMIN))
    assert late.status_code == 422 and late.json()["code"] == "ownership_wrong_code"


def test_codes_are_not_resent_more_than_once_a_minute(client: TestClient, world: World) -> None:
    assert create_inbox(client, world, "billing@shop.example.org")["status"] == 201
    [claim] = claims(client, world)
    again = client.post(f"/api/v1/ownership/claims/{claim['id']}/resend", headers=world.token(Role.ADMIN))
    assert again.status_code == 429 and again.json()["code"] == "ownership_too_many_codes"


def test_an_address_proven_by_another_workspace_is_refused_with_a_generic_error(
    client: TestClient, db: Session, world: World, other_world: World, dns: StaticResolver
) -> None:
    prove_domain(db, other_world.members[Role.OWNER].principal, "globex.example.com", dns)
    # Nobody has an inbox at sales@ yet: the domain's proof alone refuses it to anyone else.
    assert_generic(create_inbox(client, world, "sales@globex.example.com"), other_world)
    assert_generic(create_inbox(client, world, "SALES@globex.example.com."), other_world)
    answer = client.post(
        "/api/v1/ownership/claims",
        json={"kind": "email_address", "value": "sales@globex.example.com"},
        headers=world.token(Role.ADMIN),
    )
    assert answer.status_code == 409 and answer.json()["code"] == "ownership_unavailable"
    assert_generic({"status": 409, **answer.json()}, other_world)
    domain = client.post(
        "/api/v1/ownership/claims",
        json={"kind": "email_domain", "value": "globex.example.com"},
        headers=world.token(Role.ADMIN),
    )
    assert domain.status_code == 409 and domain.json() == answer.json()


def test_an_address_held_unverified_by_another_workspace_answers_the_same(
    client: TestClient, world: World, other_world: World
) -> None:
    held = create_inbox(client, other_world, THEIRS)
    assert held["status"] == 201
    answer = create_inbox(client, world, THEIRS)
    assert_generic(answer, other_world)
    assert answer["code"] == "inbox_address_unavailable"


def test_mail_to_another_workspaces_proven_address_never_lands_in_the_squatter(
    client: TestClient,
    db: Session,
    world: World,
    other_world: World,
    dns: StaticResolver,
    inbound_smtp: int,
) -> None:
    # A (world) squats B's address first: its inbox exists, unverified.
    assert create_inbox(client, world, THEIRS)["status"] == 201
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail(inbound_smtp, THEIRS, message_id="<s1@example.com>")
    # B (other_world) proves its domain, then opens its inbox at that address: A's empty inbox is released.
    prove_domain(db, other_world.members[Role.OWNER].principal, "globex.example.com", dns)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail(inbound_smtp, THEIRS, message_id="<s2@example.com>")  # proven by B, held by A: nobody receives
    assert create_inbox(client, other_world, THEIRS)["status"] == 201
    mail(inbound_smtp, THEIRS, message_id="<s3@example.com>")
    assert conversations(client, world) == []
    assert [c["contact"]["source_id"] for c in conversations(client, other_world)] == ["alice@example.com"]
    assert inbox_service.list_inboxes(db, workspace_id=world.workspace.id) == []
    db.rollback()
    # A cannot take it back, and cannot prove it either.
    assert_generic(create_inbox(client, world, THEIRS), other_world)


def test_a_domain_is_proven_only_by_its_own_token(
    client: TestClient, world: World, other_world: World, dns: StaticResolver
) -> None:
    def claim_domain(who: World) -> dict:  # type: ignore[type-arg]
        response = client.post(
            "/api/v1/ownership/claims",
            json={"kind": "email_domain", "value": "Shop.Example.org"},
            headers=who.token(Role.ADMIN),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    mine, theirs = claim_domain(world), claim_domain(other_world)
    assert (
        mine["dns_record"].startswith("omnicx-verification=") and mine["dns_record"] != theirs["dns_record"]
    )
    check = f"/api/v1/ownership/claims/{mine['id']}/check-dns"
    missing = client.post(check, headers=world.token(Role.ADMIN))
    assert missing.status_code == 422 and missing.json()["code"] == "ownership_not_proven"
    dns.txt("shop.example.org", theirs["dns_record"], "v=spf1 -all")
    assert client.post(check, headers=world.token(Role.ADMIN)).status_code == 422
    dns.unavailable.add("shop.example.org")
    assert client.post(check, headers=world.token(Role.ADMIN)).status_code == 422
    dns.unavailable.clear()
    dns.txt("shop.example.org", mine["dns_record"])
    proven = client.post(check, headers=world.token(Role.ADMIN))
    assert proven.status_code == 200 and proven.json()["status"] == "verified"
    # Both records are published now, but the domain has one owner.
    late = client.post(
        f"/api/v1/ownership/claims/{theirs['id']}/check-dns", headers=other_world.token(Role.ADMIN)
    )
    assert late.status_code == 409 and late.json()["code"] == "ownership_unavailable"
    # And its addresses need no code: the inbox receives at once.
    assert create_inbox(client, world, "hello@shop.example.org")["status"] == 201
    assert claims(client, world)[0]["value"] == "shop.example.org"
    assert len(claims(client, world)) == 1


def test_other_workspaces_claims_are_not_found(client: TestClient, world: World, other_world: World) -> None:
    assert create_inbox(client, other_world, THEIRS)["status"] == 201
    [theirs] = claims(client, other_world)
    for method, suffix, body in [
        ("GET", "", None),
        ("POST", "/confirm", {"code": "123456"}),
        ("POST", "/resend", None),
        ("POST", "/check-dns", None),
    ]:
        response = client.request(
            method,
            f"/api/v1/ownership/claims/{theirs['id']}{suffix}",
            json=body,
            headers=world.token(Role.ADMIN),
        )
        assert response.status_code == 404, (suffix, response.text)


def test_agents_cannot_claim_addresses(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/ownership/claims",
        json={"kind": "email_domain", "value": "shop.example.org"},
        headers=world.token(Role.AGENT),
    )
    assert response.status_code == 403


def test_the_settings_page_shows_status_resends_and_takes_the_code(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    csrf = page_csrf(client, "/settings/ownership")
    made = client.post(
        "/settings/ownership",
        data={"csrf_token": csrf, "kind": "email_address", "value": "care@shop.example.org"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get("/settings/ownership").text
    assert 'data-value="care@shop.example.org" data-status="pending"' in page
    [claim] = claims(client, world)
    resent = client.post(f"/settings/ownership/{claim['id']}/resend", data={"csrf_token": csrf})
    assert resent.status_code == 429 and 'role="alert"' in resent.text  # a code went out a moment ago
    drain(runtime)
    code = code_sent_to(smtp_sink, "care@shop.example.org")
    typed = client.post(
        f"/settings/ownership/{claim['id']}/confirm",
        data={"csrf_token": csrf, "code": code},
        follow_redirects=False,
    )
    assert typed.status_code == 303
    assert (
        'data-value="care@shop.example.org" data-status="verified"' in client.get("/settings/ownership").text
    )
    domain = client.post(
        "/settings/ownership",
        data={"csrf_token": csrf, "kind": "email_domain", "value": "shop.example.org"},
        follow_redirects=False,
    )
    assert domain.status_code == 303
    assert "omnicx-verification=" in client.get("/settings/ownership").text
    checked = client.post(
        f"/settings/ownership/{claims(client, world)[1]['id']}/check-dns", data={"csrf_token": csrf}
    )
    assert checked.status_code == 422 and "omnicx-verification=" in checked.text


def test_the_cli_claims_lists_and_refuses_a_wrong_code(settings: Settings, world: World, db: Session) -> None:
    db.rollback()
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SMTP_OUTBOUND_PORT": str(settings.smtp_outbound_port),
    }
    runner = CliRunner()
    made = runner.invoke(
        cli_app, ["ownership", "claim", "-w", "acme", "--domain", "shop.example.org"], env=env
    )
    assert made.exit_code == 0, made.output
    assert "omnicx-verification=" in made.output and "pending" in made.output
    address = runner.invoke(cli_app, ["ownership", "claim", "-w", "acme", "hi@else.example.org"], env=env)
    assert address.exit_code == 0, address.output
    listed = runner.invoke(cli_app, ["ownership", "list", "-w", "acme"], env=env)
    assert "shop.example.org" in listed.output and "hi@else.example.org" in listed.output
    claim_id = next(line.split()[0] for line in listed.output.splitlines() if "hi@else.example.org" in line)
    wrong = runner.invoke(cli_app, ["ownership", "confirm", "-w", "acme", claim_id, "000000x"], env=env)
    assert wrong.exit_code == 1 and "ownership_wrong_code" in wrong.output


def test_an_address_and_its_domain_never_have_two_owners(
    client: TestClient,
    runtime: Runtime,
    world: World,
    other_world: World,
    dns: StaticResolver,
    smtp_sink: SmtpSink,
) -> None:
    # world proves one address at shop.example.org: nobody else may then prove the whole domain.
    assert create_inbox(client, world, "hi@shop.example.org")["status"] == 201
    drain(runtime)
    [claim] = claims(client, world)
    code = code_sent_to(smtp_sink, "hi@shop.example.org")
    url = f"/api/v1/ownership/claims/{claim['id']}/confirm"
    assert client.post(url, json={"code": code}, headers=world.token(Role.ADMIN)).status_code == 200
    domain = client.post(
        "/api/v1/ownership/claims",
        json={"kind": "email_domain", "value": "shop.example.org"},
        headers=other_world.token(Role.ADMIN),
    )
    assert domain.status_code == 409 and domain.json()["code"] == "ownership_unavailable"
    # world waits for a code at another domain while other_world proves that domain: the code no longer helps.
    assert create_inbox(client, world, "care@store.example.org")["status"] == 201
    drain(runtime)
    waiting = next(c for c in claims(client, world) if c["value"] == "care@store.example.org")
    late_code = code_sent_to(smtp_sink, "care@store.example.org")
    theirs = client.post(
        "/api/v1/ownership/claims",
        json={"kind": "email_domain", "value": "store.example.org"},
        headers=other_world.token(Role.ADMIN),
    ).json()
    dns.txt("store.example.org", theirs["dns_record"])
    checked = client.post(
        f"/api/v1/ownership/claims/{theirs['id']}/check-dns", headers=other_world.token(Role.ADMIN)
    )
    assert checked.status_code == 200
    refused = client.post(
        f"/api/v1/ownership/claims/{waiting['id']}/confirm",
        json={"code": late_code},
        headers=world.token(Role.ADMIN),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "ownership_unavailable"
