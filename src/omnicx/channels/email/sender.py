"""Outbound email over SMTP: replies, with the threading headers mail clients use to keep a conversation
together, and the codes that prove a workspace controls an address."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from omnicx.channels.base import DeliveryFailed
from omnicx.inbox.schemas import OutboundMessage
from omnicx.kernel.settings import Settings
from omnicx.ownership.schemas import CodeDelivery


def build_email(message: OutboundMessage) -> EmailMessage:
    """The reply as an email: its stable Message-ID (retries resend the same one), In-Reply-To, References."""
    email = EmailMessage()
    email["From"] = formataddr((message.inbox_name, message.inbox_address))
    email["To"] = formataddr((message.to_name, message.to)) if message.to_name else message.to
    email["Subject"] = message.subject or "(no subject)"
    email["Message-ID"] = message.provider_message_id
    email["Date"] = formatdate(localtime=False, usegmt=True)
    if message.in_reply_to:
        email["In-Reply-To"] = message.in_reply_to
    if message.references:
        email["References"] = " ".join(message.references)
    email.set_content(message.text)
    return email


def send_email(message: OutboundMessage, *, settings: Settings) -> None:
    """Hand the reply to the configured SMTP server; a permanent (5xx) refusal raises `DeliveryFailed`, any
    other failure (server down, 4xx) propagates so the delivery job retries."""
    email = build_email(message)
    try:
        with smtplib.SMTP(
            settings.smtp_outbound_host, settings.smtp_outbound_port, timeout=settings.smtp_timeout_seconds
        ) as client:
            if settings.smtp_outbound_starttls:
                client.starttls()
            if settings.smtp_outbound_username and settings.smtp_outbound_password:
                client.login(settings.smtp_outbound_username, settings.smtp_outbound_password)
            client.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _msg in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise DeliveryFailed(f"recipient refused: {exc.recipients}") from exc
        raise
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        if 500 <= exc.smtp_code < 600:
            raise DeliveryFailed(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        raise


def build_code_email(delivery: CodeDelivery, *, sender: str, message_id: str) -> EmailMessage:
    """The mail proving an address: the code, whom it is for, until when."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = delivery.to
    email["Subject"] = f"Your omnicx verification code: {delivery.code}"
    email["Message-ID"] = message_id
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(
        f"The workspace {delivery.workspace_name!r} on omnicx asks to receive the mail sent to {delivery.to}.\n\n"
        f"If that is you, type this code on its Verified addresses page: {delivery.code}\n"
        f"It works until {delivery.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        "If you did not ask for this, ignore this message: nothing is received for you until the code is typed.\n"
    )
    return email


def send_code_email(delivery: CodeDelivery, *, settings: Settings, message_id: str) -> None:
    """Hand the code mail to the configured SMTP server (errors propagate: the job retries)."""
    email = build_code_email(delivery, sender=settings.smtp_system_from, message_id=message_id)
    with smtplib.SMTP(
        settings.smtp_outbound_host, settings.smtp_outbound_port, timeout=settings.smtp_timeout_seconds
    ) as client:
        if settings.smtp_outbound_starttls:
            client.starttls()
        if settings.smtp_outbound_username and settings.smtp_outbound_password:
            client.login(settings.smtp_outbound_username, settings.smtp_outbound_password)
        client.send_message(email)
