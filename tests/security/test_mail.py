"""Inbound mail authentication over real SMTP: who sent a message is verified only by DMARC-aligned DKIM or
SPF, or by the Authentication-Results of a relay the operator trusts; everything else is a claim.

The sender's DNS (DKIM keys, SPF, DMARC records) is the test's own `dns` resolver: nothing reaches the network.
"""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from omnicx.channels.email.server import start_smtp_server
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.runtime import build_runtime
from omnicx.kernel.settings import Settings, TrustedRelay
from tests.channels.conftest import free_port, inbound_smtp, settings, smtp_sink
from tests.conftest import World
from tests.inbox.conftest import email_inbox

__all__ = ["email_inbox", "inbound_smtp", "settings", "smtp_sink"]  # fixtures shared with these tests

SUPPORT = "support@acme.example.com"
CUSTOMER = "alice@customer.test"
SELECTOR = "s2026"


@pytest.fixture(scope="module")
def signing_key() -> tuple[bytes, str]:
    """A fresh RSA key: the private key in PEM (to sign) and the public key as DKIM's `p=` (to publish)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(public).decode()


@pytest.fixture
def customer_dns(dns: StaticResolver, signing_key: tuple[bytes, str]) -> StaticResolver:
    """customer.test publishes the test key under its selector and a reject DMARC policy."""
    dns.txt(f"{SELECTOR}._domainkey.customer.test", f"v=DKIM1; k=rsa; p={signing_key[1]}")
    dns.txt("_dmarc.customer.test", "v=DMARC1; p=reject; rua=mailto:dmarc@customer.test")
    return dns


def message(
    *, sender: str = f"Alice Martin <{CUSTOMER}>", message_id: str = "<m1@customer.test>", body: str = "Hello"
) -> EmailMessage:
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = sender
    email["To"] = SUPPORT
    email["Subject"] = "Order 42"
    email["Message-ID"] = message_id
    email.set_content(body)
    return email


def sign(raw: bytes, key: bytes, *, domain: str = "customer.test", selector: str = SELECTOR) -> bytes:
    headers = [b"from", b"to", b"subject", b"message-id"]
    return dkim.sign(raw, selector.encode(), domain.encode(), key, include_headers=headers) + raw


def deliver(port: int, raw: bytes, *, envelope_from: str, helo: str = "mx.customer.test") -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=5) as client:
        client.sendmail(envelope_from, [SUPPORT], raw)


def stored_messages(client: TestClient, world: World) -> list[dict[str, Any]]:
    headers = world.token(Role.AGENT)
    found = []
    for conversation in client.get("/api/v1/inbox/conversations", headers=headers).json():
        detail = client.get(f"/api/v1/inbox/conversations/{conversation['id']}", headers=headers).json()
        found.extend(m for m in detail["messages"] if m["kind"] == "incoming")
    return found


def only_verdict(client: TestClient, world: World) -> dict[str, Any]:
    [stored] = stored_messages(client, world)
    verdict = stored["sender_authentication"]
    assert verdict is not None
    return dict(verdict)


def test_mail_signed_with_the_from_domains_key_is_verified(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
    signing_key: tuple[bytes, str],
) -> None:
    # The envelope sender is a bulk-mail provider's bounce address: SPF says nothing about customer.test.
    deliver(inbound_smtp, sign(message().as_bytes(), signing_key[0]), envelope_from="bounces@mailer.test")
    verdict = only_verdict(client, world)
    assert verdict["verified"] is True and verdict["method"] == "dkim"
    assert verdict["dkim"] == "pass" and verdict["dkim_domains"] == ["customer.test"]
    assert verdict["dmarc"] == "pass" and verdict["dmarc_policy"] == "reject"


def test_a_forged_from_with_the_attackers_own_envelope_is_a_claim(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
) -> None:
    # evil.test authorises the connecting address: SPF passes, but for evil.test, not for the From domain.
    customer_dns.txt("evil.test", "v=spf1 ip4:127.0.0.1 -all")
    forged = message(sender=f'"Eve" <{CUSTOMER}>').as_bytes()
    deliver(inbound_smtp, forged, envelope_from="attacker@evil.test", helo="mx.evil.test")
    verdict = only_verdict(client, world)
    assert verdict["spf"] == "pass" and verdict["spf_domain"] == "evil.test"
    assert verdict["verified"] is False and verdict["method"] is None
    assert verdict["dmarc"] == "fail"


def test_a_valid_signature_of_another_domain_does_not_verify_the_from(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
    signing_key: tuple[bytes, str],
) -> None:
    # The attacker signs with their own domain's key (published, valid) a message claiming customer.test.
    customer_dns.txt(f"{SELECTOR}._domainkey.evil.test", f"v=DKIM1; k=rsa; p={signing_key[1]}")
    forged = sign(message().as_bytes(), signing_key[0], domain="evil.test")
    deliver(inbound_smtp, forged, envelope_from="attacker@evil.test")
    verdict = only_verdict(client, world)
    assert verdict["dkim"] == "pass" and verdict["dkim_domains"] == ["evil.test"]
    assert verdict["verified"] is False


def test_a_signed_message_altered_on_the_way_is_a_claim(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
    signing_key: tuple[bytes, str],
) -> None:
    signed = sign(message(body="Refund me 10 EUR").as_bytes(), signing_key[0])
    deliver(inbound_smtp, signed.replace(b"10 EUR", b"900 EUR"), envelope_from="alice@customer.test")
    verdict = only_verdict(client, world)
    assert verdict["dkim"] == "fail" and verdict["verified"] is False


def test_a_signature_over_part_of_the_body_proves_nothing(
    dns: StaticResolver, customer_dns: StaticResolver, signing_key: tuple[bytes, str]
) -> None:
    from omnicx.channels.email.authentication import Envelope, authenticate

    raw = message(body="Hello").as_bytes()
    headers = [b"from", b"to", b"subject", b"message-id"]
    signed = dkim.sign(
        raw, SELECTOR.encode(), b"customer.test", signing_key[0], include_headers=headers, length=True
    )
    appended = signed + raw + b"P.S. Please send the refund to another account.\r\n"
    verdict = authenticate(appended, envelope=Envelope("192.0.2.1", "mx.test", ""), resolver=customer_dns)[1]
    assert verdict.verified is False and verdict.dkim_domains == []


def test_a_second_from_header_unverifies_a_signed_message(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
    signing_key: tuple[bytes, str],
) -> None:
    signed = sign(message().as_bytes(), signing_key[0])
    deliver(inbound_smtp, b"From: Eve <eve@customer.test>\r\n" + signed, envelope_from="x@customer.test")
    verdict = only_verdict(client, world)
    assert verdict["verified"] is False and "exactly one From" in verdict["reason"]


def test_spf_of_an_aligned_envelope_sender_verifies(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
) -> None:
    customer_dns.txt("bounce.customer.test", "v=spf1 ip4:127.0.0.0/8 -all")
    deliver(inbound_smtp, message().as_bytes(), envelope_from="returns@bounce.customer.test")
    verdict = only_verdict(client, world)
    assert verdict["spf"] == "pass" and verdict["method"] == "spf" and verdict["verified"] is True


def test_strict_dmarc_alignment_refuses_a_subdomains_signature(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    dns: StaticResolver,
    signing_key: tuple[bytes, str],
) -> None:
    dns.txt(f"{SELECTOR}._domainkey.mail.customer.test", f"v=DKIM1; k=rsa; p={signing_key[1]}")
    dns.txt("_dmarc.customer.test", "v=DMARC1; p=reject; adkim=s")
    subdomain_signed = sign(message().as_bytes(), signing_key[0], domain="mail.customer.test")
    deliver(inbound_smtp, subdomain_signed, envelope_from="bounces@mailer.test")
    verdict = only_verdict(client, world)
    assert verdict["dkim_domains"] == ["mail.customer.test"] and verdict["verified"] is False


def test_relaxed_alignment_accepts_a_subdomains_signature_but_not_a_sibling_under_a_public_suffix(
    dns: StaticResolver, signing_key: tuple[bytes, str]
) -> None:
    from omnicx.channels.email.authentication import Envelope, authenticate

    dns.txt(f"{SELECTOR}._domainkey.mail.customer.test", f"v=DKIM1; k=rsa; p={signing_key[1]}")
    dns.txt(f"{SELECTOR}._domainkey.evil.co.uk", f"v=DKIM1; k=rsa; p={signing_key[1]}")
    envelope = Envelope(client_ip="192.0.2.1", helo="mx.test", mail_from="")
    sub = sign(message().as_bytes(), signing_key[0], domain="mail.customer.test")
    assert authenticate(sub, envelope=envelope, resolver=dns)[1].verified is True
    # Two registrants under the public suffix co.uk are different organisations.
    sibling = sign(message(sender="Bank <help@bank.co.uk>").as_bytes(), signing_key[0], domain="evil.co.uk")
    assert authenticate(sibling, envelope=envelope, resolver=dns)[1].verified is False


def test_a_later_copy_of_a_message_id_never_replaces_the_verdict_shown(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    inbound_smtp: int,
    customer_dns: StaticResolver,
    signing_key: tuple[bytes, str],
) -> None:
    forged = message(sender=f"Eve <{CUSTOMER}>", message_id="<same@customer.test>").as_bytes()
    deliver(inbound_smtp, forged, envelope_from="attacker@evil.test")
    genuine = sign(message(message_id="<same@customer.test>").as_bytes(), signing_key[0])
    deliver(inbound_smtp, genuine, envelope_from="alice@customer.test")
    assert only_verdict(client, world)["verified"] is False  # the stored (forged) message stays unverified


# --- A relay in front of omnicx ---------------------------------------------------------------------------


RELAY_HEADER = (
    "mx.relay.test; dkim=pass header.d=customer.test; spf=none; dmarc=pass header.from=customer.test"
)


@pytest.fixture
def smtp_with(settings: Settings, dns: StaticResolver) -> Iterator[Callable[[list[TrustedRelay]], int]]:
    """omnicx's SMTP server on the same database, configured with the given trusted relays; yields a starter."""
    started: list[Any] = []

    def start(relays: list[TrustedRelay]) -> int:
        runtime = build_runtime(settings.model_copy(update={"mail_trusted_relays": relays}), resolver=dns)
        port = free_port()
        started.append((runtime, start_smtp_server(runtime, host="127.0.0.1", port=port)))
        return port

    yield start
    for runtime, controller in started:
        controller.stop()
        runtime.close()


def relay(authserv_id: str = "mx.relay.test", network: str = "127.0.0.1/32") -> TrustedRelay:
    return TrustedRelay.model_validate({"authserv_id": authserv_id, "networks": [network]})


@pytest.mark.parametrize(
    ("relays", "header", "believed"),
    [
        pytest.param([relay()], RELAY_HEADER, True, id="the-trusted-relay-itself"),
        pytest.param([], RELAY_HEADER, False, id="no-relay-configured"),
        pytest.param([relay(network="192.0.2.0/24")], RELAY_HEADER, False, id="relay-elsewhere"),
        pytest.param(
            [relay()],
            RELAY_HEADER.replace("mx.relay.test", "mx.forger.test"),
            False,
            id="another-authserv-id",
        ),
        pytest.param([relay()], RELAY_HEADER.replace("customer.test", "evil.test"), False, id="other-domain"),
    ],
)
def test_authentication_results_are_believed_only_from_the_trusted_relay(
    client: TestClient,
    world: World,
    email_inbox: InboxPublic,
    customer_dns: StaticResolver,
    smtp_with: Callable[[list[TrustedRelay]], int],
    relays: list[TrustedRelay],
    header: str,
    believed: bool,
) -> None:
    port = smtp_with(relays)
    raw = b"Authentication-Results: " + header.encode() + b"\r\n" + message().as_bytes()
    deliver(port, raw, envelope_from="alice@customer.test")  # unsigned: only the header could verify it
    verdict = only_verdict(client, world)
    assert verdict["verified"] is believed
    assert (verdict["method"], verdict["relay"]) == (("relay", "mx.relay.test") if believed else (None, None))
