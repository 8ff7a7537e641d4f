"""Account mail fixtures: the links omnicx mails (invitations, password resets) are read from the mail it really
sends, through the same job the worker runs, to a real SMTP server on a loopback port."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from omnicx.kernel.runtime import Runtime
from tests.channels.conftest import SmtpSink, settings, smtp_sink
from tests.inbox.conftest import drain

__all__ = ["settings", "smtp_sink"]  # the SMTP sink, and the settings sending mail to it

LINK = re.compile(r"(https?://\S+)")


def mails_to(sink: SmtpSink, address: str) -> list[str]:
    """The text of every mail `address` received, oldest first."""
    return [m.get_content() for m in sink.messages if m["To"] == address]  # type: ignore[attr-defined]


def mailed_link(runtime: Runtime, sink: SmtpSink, address: str) -> str:
    """Run the queued jobs, then the link in the newest mail to `address` (absolute, as mailed)."""
    drain(runtime)
    texts = mails_to(sink, address)
    assert texts, f"no mail to {address}"
    found = LINK.search(texts[-1])
    assert found, texts[-1]
    return found.group(1)


def path_of(link: str) -> str:
    return urlsplit(link).path


def public_form(client: TestClient, path: str) -> str:
    """The CSRF token of the form on a public page (bound to the pre-session cookie it sets)."""
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)
