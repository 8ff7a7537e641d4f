"""The Segment wire format: decoding request bodies and validating messages. Pure: no database, no HTTP types.

Shared by the collection API and the importer, so a message is accepted or rejected for the same reasons
whichever way it arrives. Validation is plain dict checks (no model building): it runs for every event on the
hot path. Whatever is wrong with one event (its shape, its size, its nesting, its times) rejects that event
alone, never its batch; what is kept of a rejected event for people to read has its secrets masked.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from omnicx.tracking.context import as_dict, campaign_from_url
from omnicx.tracking.errors import InvalidJson, PayloadTooLarge, UnsupportedEncoding

MAX_EVENT_BYTES = 32 * 1024
MAX_REQUEST_BYTES = 4 * 1024 * 1024
MAX_ID_CHARS = 200
# Objects and arrays nest at most this deep in an event (the event itself is level 1): far more than any real
# event, and far below what orjson writes (255 levels, the stored row adding two) and the databases read.
MAX_EVENT_DEPTH = 64
# Times outside these bounds are refused: their arithmetic (clock-skew correction, sessions, reports) would
# overflow Python's datetime, and no event happens then.
MIN_TIME = datetime(1900, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2200, 1, 1, tzinfo=UTC)
WRITE_KEY_PREFIX = "omxw_"
TYPES = frozenset({"identify", "track", "page", "screen", "group", "alias"})
OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_RAND_B = (1 << 62) - 1
_IDS_PER_DRAW = 256  # ids' randomness drawn from the system at once


class _Entropy(threading.local):
    """Each thread's store of random bytes for event ids, drawn `_IDS_PER_DRAW` ids at a time."""

    pool: bytes = b""
    at: int = 0


_ENTROPY = _Entropy()
# A forked child must not hand out the ids its parent's store would: it starts with an empty one.
os.register_at_fork(after_in_child=lambda: _ENTROPY.__dict__.clear())


def event_id() -> uuid.UUID:
    """A UUIDv7 (time-ordered) with 74 random bits from the operating system's generator.

    Same layout as `omnicx.kernel.db.new_id`, built directly because it runs for every ingested event and the
    generic path costs several times more. The random bytes are drawn for 256 ids at once: `os.urandom` lets go
    of the interpreter lock, and taking it back once per event behind the busy write thread made ingestion
    wait (an eighth of a loaded server's samples sat in this function). Within one millisecond the order is
    random, which nothing relies on.
    """
    entropy = _ENTROPY
    at = entropy.at
    if at >= len(entropy.pool):
        entropy.pool, at = os.urandom(10 * _IDS_PER_DRAW), 0
    entropy.at = at + 10
    rand = int.from_bytes(entropy.pool[at : at + 10], "big")
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | (0x7 << 76) | (((rand >> 62) & 0xFFF) << 64) | (0x2 << 62) | (rand & _RAND_B)
    return uuid.UUID(int=value)


def decompress(raw: bytes, encoding: str | None, *, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """The body as sent before compression, refusing to inflate past `limit` (no gzip bombs).

    Decompression is streamed with `max_length`, so a tiny body that would inflate to gigabytes costs at most
    `limit` bytes of memory before it is refused.
    """
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        if len(raw) > limit:
            raise PayloadTooLarge(f"the request body exceeds {limit} bytes")
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported (use gzip)")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    out = bytearray()
    data = raw
    try:
        while data:
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise PayloadTooLarge(f"the decompressed request body exceeds {limit} bytes")
            data = inflater.unconsumed_tail
        out += inflater.flush()
    except zlib.error as exc:
        raise UnsupportedEncoding(f"the body is not valid {encoding}: {exc}") from exc
    if len(out) > limit:
        raise PayloadTooLarge(f"the decompressed request body exceeds {limit} bytes")
    return bytes(out)


def parse_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidJson(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidJson("the request body must be a JSON object")
    return value


def basic_auth_user(authorization: str | None) -> str | None:
    """The user name of an HTTP Basic `Authorization` header (Segment puts the write key there), else None."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, _password = decoded.partition(":")
    return user or None


# `"writeKey": "..."` anywhere in a body: found without parsing it (a key with escapes in it is not found).
_BODY_WRITE_KEY = re.compile(rb'"writeKey"\s*:\s*"([^"\\]{1,200})"')
MAX_KEY_CANDIDATES = 3


def write_key_candidates(body: bytes) -> list[str]:
    """The distinct `writeKey` strings of a body, before it is parsed (at most `MAX_KEY_CANDIDATES`).

    Which one is the batch's own (top-level) is known only after parsing; a body none of whose candidates is a
    live key is refused without being parsed.
    """
    found: list[str] = []
    for match in _BODY_WRITE_KEY.finditer(body):
        key = match.group(1).decode("utf-8", errors="replace")
        if key not in found:
            found.append(key)
            if len(found) == MAX_KEY_CANDIDATES:
                break
    return found


def parse_time(value: object) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime (naive means UTC); ValueError when it is not one, or when it
    is outside MIN_TIME .. MAX_TIME."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("not a string")
    parsed = datetime.fromisoformat(value)
    try:
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{value!r} is out of range") from exc
    return _in_range(parsed)


def _in_range(value: datetime) -> datetime:
    if not MIN_TIME <= value < MAX_TIME:
        raise ValueError(f"{value.isoformat()} is not between {MIN_TIME.year} and {MAX_TIME.year - 1}")
    return value


def too_deep(value: object, limit: int = MAX_EVENT_DEPTH) -> bool:
    """Whether objects and arrays nest deeper than `limit` in `value` (a value at level 1).

    Recursive, one call per container and never more than `limit` calls deep: a third of the time of walking
    an explicit stack of (item, depth) pairs, and this runs for every ingested event."""
    if type(value) is not dict and type(value) is not list:
        return False
    return limit < 1 or _nests_past(value, limit - 1)


def _nests_past(container: dict[str, Any] | list[Any], budget: int) -> bool:
    """Whether `container` holds containers more than `budget` levels below itself."""
    for child in container.values() if type(container) is dict else container:
        if (type(child) is dict or type(child) is list) and (budget == 0 or _nests_past(child, budget - 1)):
            return True
    return False


_SECRET_NAMES = frozenset(
    {
        "writekey",
        "password",
        "passwd",
        "secret",
        "clientsecret",
        "token",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "apikey",
        "authorization",
        "privatekey",
    }
)
_SECRET_FIELD_TEXT = re.compile(
    r'("(?:write[_-]?key|password|passwd|secret|client[_-]?secret|token|access[_-]?token|refresh[_-]?token'
    r'|id[_-]?token|api[_-]?key|authorization|private[_-]?key)"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|$)',
    re.IGNORECASE,
)
_WRITE_KEY_TEXT = re.compile(re.escape(WRITE_KEY_PREFIX) + r"[A-Za-z0-9_\-]+")
MASKED = "[masked]"
PREVIEW_DEPTH = 8


def _mask_text(text: str) -> str:
    text = _SECRET_FIELD_TEXT.sub(lambda m: f'{m.group(1)}"{MASKED}"', text)
    return _WRITE_KEY_TEXT.sub(WRITE_KEY_PREFIX + MASKED, text)


def mask_secrets(value: Any, *, depth: int = MAX_EVENT_DEPTH) -> Any:
    """A copy of `value` safe to show people: the values of secret-looking fields (`writeKey`, `password`,
    `token`, ...) and anything shaped like a write key replaced by "[masked]"; nesting past `depth` cut off."""
    if isinstance(value, str):
        return _mask_text(value) if WRITE_KEY_PREFIX in value or '"' in value else value
    if not isinstance(value, dict | list):
        return value
    if depth <= 1:
        return "…"
    if isinstance(value, list):
        return [mask_secrets(v, depth=depth - 1) for v in value]
    return {
        key: MASKED
        if isinstance(key, str) and key.replace("_", "").replace("-", "").lower() in _SECRET_NAMES
        else mask_secrets(item, depth=depth - 1)
        for key, item in value.items()
    }


@dataclass(frozen=True)
class Rejection:
    """Why one message was refused, with what is needed to show it to a user later."""

    index: int
    code: str
    message: str
    message_id: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Received:
    """Facts about the request a message came in: when, from where, and the batch's `sentAt`."""

    at: datetime
    ip: str = ""
    sent_at: object = None
    historical: bool = False

    @functools.cached_property
    def batch_sent_at(self) -> datetime | None:
        """The batch's `sentAt`, parsed once for all its events (one object, so storing formats it once); one
        that is not a usable time is the batch's fault, not its events': ignored."""
        try:
            return parse_time(self.sent_at or None)
        except ValueError:
            return None


def _identity(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Refuse("invalid_field", f"{name} must be a string")
    text = str(value)
    if len(text) > MAX_ID_CHARS:
        raise _Refuse("invalid_field", f"{name} is longer than {MAX_ID_CHARS} characters")
    return text


class _Refuse(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _required_text(message: dict[str, Any], key: str, kind: str) -> str:
    value = message.get(key)
    if value is None or value == "":
        raise _Refuse("missing_field", f"a {kind} call needs {key}")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _Refuse("invalid_field", f"{key} must be a string")
    text = str(value)
    if len(text) > MAX_ID_CHARS:
        raise _Refuse("invalid_field", f"{key} is longer than {MAX_ID_CHARS} characters")
    return text


def _times(message: dict[str, Any], received: Received) -> tuple[datetime, datetime | None, datetime | None]:
    """(timestamp, originalTimestamp, sentAt); clock skew corrected as Segment does.

    `timestamp = receivedAt - (sentAt - originalTimestamp)`: the device's clock may be wrong, but the time it
    took between the call and the upload is right. Historical imports keep their timestamp as given. A time
    that is not ISO-8601, or out of range, refuses the event, and so does a correction landing out of range.
    """
    try:
        original = parse_time(message.get("originalTimestamp")) or parse_time(message.get("timestamp"))
        own_sent_at = message.get("sentAt")
        sent_at = parse_time(own_sent_at) if own_sent_at else received.batch_sent_at
        if received.historical:
            return (parse_time(message.get("timestamp")) or original or received.at), original, sent_at
        if original is not None and sent_at is not None:
            # Times within MIN_TIME .. MAX_TIME cannot overflow here; the result may still be out of range.
            return _in_range(received.at - (sent_at - original)), original, sent_at
    except ValueError as exc:
        raise _Refuse("invalid_field", f"a timestamp is not a usable ISO-8601 time: {exc}") from exc
    return original or received.at, original, sent_at


def _check_shape(message: dict[str, Any], kind: str) -> tuple[str | None, str | None, str | None]:
    for key in OBJECT_FIELDS:
        if key in message and message[key] is not None and not isinstance(message[key], dict):
            raise _Refuse("invalid_field", f"{key} must be an object")
    user_id = _identity(message.get("userId"), "userId")
    anonymous_id = _identity(message.get("anonymousId"), "anonymousId")
    if user_id is None and anonymous_id is None:
        raise _Refuse("missing_identity", "userId or anonymousId is required")
    name: str | None = None
    if kind == "track":
        name = _required_text(message, "event", kind)
    elif kind == "alias":
        _required_text(message, "previousId", kind)
    elif kind == "group":
        _required_text(message, "groupId", kind)
    elif kind in ("page", "screen") and isinstance(message.get("name"), str):
        name = message["name"][:MAX_ID_CHARS]
    return user_id, anonymous_id, name


def _message_id(message: dict[str, Any]) -> str:
    """The sender's messageId, else one derived from the content, so a retried copy still deduplicates."""
    given = message.get("messageId")
    if isinstance(given, str | int) and not isinstance(given, bool) and given != "":
        text = str(given)
        if len(text) > MAX_ID_CHARS:
            raise _Refuse("invalid_field", f"messageId is longer than {MAX_ID_CHARS} characters")
        return text
    if given is not None:
        raise _Refuse("invalid_field", "messageId must be a string")
    canonical = orjson.dumps(message, option=orjson.OPT_SORT_KEYS)
    return "omx-" + hashlib.sha256(canonical).hexdigest()[:40]


def _page_url(message: dict[str, Any], context: dict[str, Any]) -> str | None:
    """`context.page.url`, else a page call's `properties.url` (read directly: this runs for every event)."""
    page = context.get("page")
    url = page.get("url") if isinstance(page, dict) else None
    if url is None and message.get("type") == "page":
        properties = message.get("properties")
        url = properties.get("url") if isinstance(properties, dict) else None
    return url if isinstance(url, str) else None


def _enrich(message: dict[str, Any], received: Received) -> dict[str, Any]:
    """Add what the server knows: the caller's IP and the campaign found in the page URL (if not given)."""
    context = message.get("context")
    context = dict(context) if isinstance(context, dict) else {}
    if received.ip and not context.get("ip"):
        context["ip"] = received.ip
    if not context.get("campaign"):
        campaign = campaign_from_url(_page_url(message, context))
        if campaign:
            context["campaign"] = campaign
    message["context"] = context
    message.pop("writeKey", None)
    return message


_TOO_DEEP = f"objects and arrays nest more than {MAX_EVENT_DEPTH} levels deep"


def validate(
    message: object, *, index: int, forced_type: str | None, received: Received
) -> dict[str, Any] | Rejection:
    """An event row ready to insert (workspace and source ids excepted), or the reason it is refused."""
    if not isinstance(message, dict):
        # Never repr() a list: one nested a thousand deep would exhaust the interpreter's recursion.
        shown = message if isinstance(message, list) else repr(message)[:200]
        value = mask_secrets(shown, depth=PREVIEW_DEPTH)
        return Rejection(index, "invalid_event", "an event must be a JSON object", None, {"value": value})
    given_id = message.get("messageId")
    shown_id = str(given_id)[:MAX_ID_CHARS] if isinstance(given_id, str | int) else None
    try:
        encoded = orjson.dumps(message)
    except orjson.JSONEncodeError as exc:  # nested past orjson's limit, or an integer beyond 64 bits
        preview = mask_secrets(message, depth=PREVIEW_DEPTH)
        if too_deep(message):
            return Rejection(index, "event_too_deep", _TOO_DEEP, shown_id, preview)
        return Rejection(
            index, "invalid_event", f"the event cannot be stored as JSON: {exc}", shown_id, preview
        )
    # Each level opens a bracket, so an event with few brackets cannot nest too deep: most are not walked.
    if encoded.count(b"{") + encoded.count(b"[") > MAX_EVENT_DEPTH and too_deep(message):
        preview = mask_secrets(message, depth=PREVIEW_DEPTH)
        return Rejection(index, "event_too_deep", _TOO_DEEP, shown_id, preview)
    if b"\\u0000" in encoded:  # PostgreSQL cannot store NUL in text or JSONB
        clipped = _clip(encoded.replace(b"\\u0000", b"\\ufffd"))
        return Rejection(index, "invalid_field", "the event contains a NUL character", None, clipped)
    if len(encoded) > MAX_EVENT_BYTES:
        return Rejection(
            index,
            "event_too_large",
            f"the event is {len(encoded)} bytes, over 32 KB",
            shown_id,
            _clip(encoded),
        )
    kind = forced_type or message.get("type")
    if kind not in TYPES:
        return Rejection(
            index,
            "invalid_type",
            f"type {kind!r} is not a Segment call type",
            shown_id,
            mask_secrets(message),
        )
    try:
        user_id, anonymous_id, name = _check_shape(message, str(kind))
        message_id = _message_id(message)
        timestamp, original, sent_at = _times(message, received)
    except _Refuse as refusal:
        return Rejection(index, refusal.code, refusal.message, shown_id, mask_secrets(message))
    message = _enrich(dict(message), received)
    message["type"] = kind
    message["messageId"] = message_id
    return {
        "id": event_id(),
        "message_id": message_id,
        "type": kind,
        "event": name,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "timestamp": timestamp,
        "original_timestamp": original,
        "sent_at": sent_at,
        "received_at": received.at,
        "payload": message,
    }


def _clip(encoded: bytes) -> dict[str, Any]:
    """What is kept of an oversized event: its start, for a human to recognise it (secrets masked)."""
    return {"truncated": _mask_text(encoded[:2048].decode("utf-8", errors="replace")), "bytes": len(encoded)}


def as_text(payload: dict[str, Any]) -> str:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


def context_of(payload: dict[str, Any]) -> dict[str, Any]:
    return as_dict(payload.get("context"))
