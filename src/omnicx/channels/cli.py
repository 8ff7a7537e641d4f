"""`omnicx smtp`: the inbound email server on its own, for deployments that receive mail in another process."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.console import Console

from omnicx.channels.email.server import start_smtp_server
from omnicx.kernel.cli_support import open_runtime

console = Console()


def smtp(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default OMNICX_SMTP_INBOUND_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default OMNICX_SMTP_INBOUND_PORT, else 2525).")
    ] = None,
) -> None:
    """Run the inbound email server: mail to an email inbox's address becomes a conversation."""
    with open_runtime() as runtime:
        settings = runtime.settings
        bind_host = host or settings.smtp_inbound_host
        bind_port = port or settings.smtp_inbound_port or 2525
        controller = start_smtp_server(runtime, host=bind_host, port=bind_port)
        console.print(f"Receiving email on {bind_host}:{bind_port} (Ctrl+C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
