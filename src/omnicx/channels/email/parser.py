"""Parse a raw email into the inbox's normalised message: sender, dedup key, threading, trimmed text,
sanitised HTML, attachments."""

from __future__ import annotations

import hashlib
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3

from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import Attachment, InboundMessage

_MSGID = re.compile(r"<[^<>\s]+>")
_WROTE = re.compile(r"^\s*(On\s.+wrote:|Le\s.+a écrit\s?:|El\s.+escribió:)\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Message d'origine)", re.IGNORECASE)
MAX_TEXT = 200_000


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(value or "")


def trim_quoted(text: str) -> str:
    """Drop the quoted history under a reply: from an "On … wrote:" line, an "Original Message" rule, or a
    trailing block of `>` lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if _WROTE.match(line) or _ORIGINAL.match(line):
            return "\n".join(lines[:index]).rstrip()
        if line.startswith(">") and all(not rest.strip() or rest.startswith(">") for rest in lines[index:]):
            return "\n".join(lines[:index]).rstrip()
    return text.strip()


def sanitise_html(html: str) -> str:
    """Keep safe formatting only (nh3: no scripts, no event handlers, no javascript: links)."""
    return nh3.clean(html)


def _text_from_html(html: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", nh3.clean(re.sub(r"<br\s*/?>|</p>", "\n", html), tags=set())).strip()


def recipients(message: EmailMessage) -> list[str]:
    return [
        addr.lower()
        for _name, addr in getaddresses(message.get_all("to", []) + message.get_all("cc", []))
        if addr
    ]


def parse_email(raw: bytes) -> InboundMessage:
    """Parse RFC 5322 bytes. A message without a Message-ID gets one derived from its bytes, so a resent copy
    still deduplicates. The time of a message is when omnicx received it (senders' clocks are not trusted).
    Which inbox it goes to (`inbox_address`) is the envelope's business: the caller sets it per recipient."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("from", "")))
    if not address or "@" not in address:
        raise ValueError("the message has no sender address")
    message_id = next(iter(_ids(str(message.get("message-id", "")))), None)
    if message_id is None:
        message_id = f"<{hashlib.sha256(raw).hexdigest()[:40]}@omnicx.missing>"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    html = sanitise_html(html_part.get_content()) if html_part is not None else None
    text = text_part.get_content() if text_part is not None else _text_from_html(html or "")
    attachments = [
        Attachment(
            filename=part.get_filename() or "attachment",
            content_type=part.get_content_type(),
            data=part.get_payload(decode=True) or b"",
        )
        for part in message.iter_attachments()
        if isinstance(part, EmailMessage)
    ]
    return InboundMessage(
        channel=MessagingChannel.EMAIL,
        source_id=address.lower(),
        name=name,
        email=address.lower(),
        provider_message_id=message_id[:500],
        in_reply_to=next(iter(_ids(str(message.get("in-reply-to", "")))), None),
        references=_ids(str(message.get("references", ""))),
        subject=str(message.get("subject", ""))[:500],
        text=trim_quoted(text)[:MAX_TEXT],
        html=html,
        attachments=attachments,
    )
