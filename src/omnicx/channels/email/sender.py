"""Outbound email over SMTP: replies, with the threading headers mail clients use to keep a conversation
together; and the mail omnicx writes itself: codes that prove a workspace controls an address, invitations to
join a workspace, links to set a new password."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from omnicx.auth.schemas import InvitationDelivery, PasswordResetDelivery
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
    email = _system_email(sender, delivery.to, f"Your omnicx verification code: {delivery.code}", message_id)
    email.set_content(
        f"The workspace {delivery.workspace_name!r} on omnicx asks to receive the mail sent to {delivery.to}.\n\n"
        f"If that is you, type this code on its Verified addresses page: {delivery.code}\n"
        f"It works until {delivery.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        "If you did not ask for this, ignore this message: nothing is received for you until the code is typed.\n"
    )
    return email


def send_code_email(delivery: CodeDelivery, *, settings: Settings, message_id: str) -> None:
    """Hand the code mail to the configured SMTP server (errors propagate: the job retries)."""
    send_system_email(
        build_code_email(delivery, sender=settings.smtp_system_from, message_id=message_id), settings
    )


def build_invitation_email(delivery: InvitationDelivery, *, sender: str, message_id: str) -> EmailMessage:
    """The mail inviting an address to a workspace: who invites, to what, the link, until when."""
    email = _system_email(sender, delivery.to, f"Join {delivery.workspace_name} on omnicx", message_id)
    inviter = delivery.invited_by or "An administrator"
    email.set_content(
        f"{inviter} invites you to the workspace {delivery.workspace_name!r} on omnicx, as {delivery.role.value}.\n\n"
        f"To accept, open this link (it works once, until {delivery.expires_at:%Y-%m-%d %H:%M} UTC):\n"
        f"{delivery.link}\n\n"
        "If you did not expect this invitation, ignore this message: nothing happens until the link is opened.\n"
    )
    return email


def build_password_reset_email(
    delivery: PasswordResetDelivery, *, sender: str, message_id: str
) -> EmailMessage:
    """The mail with a link to set a new password, and what to do when the person did not ask for it."""
    email = _system_email(sender, delivery.to, "Set a new omnicx password", message_id)
    greeting = f"Hello {delivery.name},\n\n" if delivery.name else ""
    email.set_content(
        f"{greeting}Someone asked to set a new password for the omnicx account of {delivery.to}.\n\n"
        f"To choose one, open this link (it works once, until {delivery.expires_at:%Y-%m-%d %H:%M} UTC):\n"
        f"{delivery.link}\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.\n"
    )
    return email


def send_invitation_email(delivery: InvitationDelivery, *, settings: Settings, message_id: str) -> None:
    send_system_email(
        build_invitation_email(delivery, sender=settings.smtp_system_from, message_id=message_id), settings
    )


def send_password_reset_email(
    delivery: PasswordResetDelivery, *, settings: Settings, message_id: str
) -> None:
    send_system_email(
        build_password_reset_email(delivery, sender=settings.smtp_system_from, message_id=message_id),
        settings,
    )


def _system_email(sender: str, to: str, subject: str, message_id: str) -> EmailMessage:
    """The headers of mail omnicx writes itself (not on behalf of an inbox): an automatic message."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = to
    email["Subject"] = subject
    email["Message-ID"] = message_id
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Auto-Submitted"] = "auto-generated"
    return email


def send_system_email(email: EmailMessage, settings: Settings) -> None:
    """Hand mail omnicx writes itself to the configured SMTP server, from `OMNICX_SMTP_SYSTEM_FROM` (errors
    propagate: the job that sends it retries)."""
    with smtplib.SMTP(
        settings.smtp_outbound_host, settings.smtp_outbound_port, timeout=settings.smtp_timeout_seconds
    ) as client:
        if settings.smtp_outbound_starttls:
            client.starttls()
        if settings.smtp_outbound_username and settings.smtp_outbound_password:
            client.login(settings.smtp_outbound_username, settings.smtp_outbound_password)
        client.send_message(email)
