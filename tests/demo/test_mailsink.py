"""The demo's outgoing mail goes to a local sink (unless the operator configured an SMTP server)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from omnicx.demo.mailsink import start_mail_sink
from omnicx.kernel.settings import Settings


def test_outbound_smtp_is_aimed_at_a_sink_that_accepts_mail() -> None:
    settings = Settings()
    sink = start_mail_sink(settings)
    assert sink is not None
    try:
        assert settings.smtp_outbound_port == sink.port
        message = EmailMessage()
        message["From"] = "hello@maison-lumiere.example.com"
        message["To"] = "client1@maison-lumiere-clients.example.com"
        message["Subject"] = "Your order is ready"
        message.set_content("Pickup code: ABC123")
        with smtplib.SMTP(settings.smtp_outbound_host, settings.smtp_outbound_port, timeout=10) as client:
            refused = client.send_message(message)
        assert refused == {}
    finally:
        sink.stop()


def test_a_configured_smtp_server_is_left_alone() -> None:
    settings = Settings(smtp_outbound_host="mail.example.org", smtp_outbound_port=587)
    assert start_mail_sink(settings) is None
    assert (settings.smtp_outbound_host, settings.smtp_outbound_port) == ("mail.example.org", 587)
