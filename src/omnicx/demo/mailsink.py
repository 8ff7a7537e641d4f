"""Where the demo's outgoing email goes: a local SMTP sink that accepts and discards.

The demo's customers are fictional (`example.com` addresses), yet agents' email replies and pickup notices are
real outbound messages delivered by the job worker over SMTP. Unless an outbound SMTP server was configured,
`omnicx demo` points delivery at this sink, so messages reach "sent" instead of retrying against nothing.
"""

from __future__ import annotations

import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from omnicx.kernel.settings import Settings


class _Discard:
    """Accept every message and keep nothing."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        return "250 Message accepted (omnicx demo: discarded)"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_mail_sink(settings: Settings) -> Controller | None:
    """Start the sink and aim `settings`' outbound SMTP at it; None (nothing started) when the operator set an
    outbound SMTP server themselves."""
    configured = {"smtp_outbound_host", "smtp_outbound_port"} & settings.model_fields_set
    if configured:
        return None
    host = "127.0.0.1"
    controller = Controller(_Discard(), hostname=host, port=_free_port(host))
    controller.start()
    settings.smtp_outbound_host = host
    settings.smtp_outbound_port = controller.port
    settings.smtp_outbound_starttls = False
    return controller
