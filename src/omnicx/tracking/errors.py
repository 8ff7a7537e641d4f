"""Errors of the tracking domain, each with a stable code (answered as `{"code", "message"}`)."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, DomainError, Invalid, NotFound, Unauthorized


class InvalidWriteKey(Unauthorized):
    """No write key was presented (Basic auth user name or `writeKey` in the body), or it is unknown or
    revoked."""

    code = "invalid_write_key"


class InvalidJson(DomainError):
    """The body (after decompression) is not a JSON object."""

    code = "invalid_json"
    status = 400


class PayloadTooLarge(DomainError):
    """The decompressed request exceeds 4 MB, or one event exceeds 32 KB."""

    code = "payload_too_large"
    status = 413


class UnsupportedEncoding(DomainError):
    """`Content-Encoding` other than identity, gzip or deflate, or a body that does not decompress."""

    code = "unsupported_encoding"
    status = 415


class EmptyBatch(DomainError):
    """A batch with no events: nothing to store, almost certainly a client bug."""

    code = "empty_batch"
    status = 400


class InvalidBatch(DomainError):
    """`batch` is missing or not a list."""

    code = "invalid_batch"
    status = 400


class InvalidEvent(DomainError):
    """A single event (track, identify, ...) failed validation; `code` says why (see `REJECTION_CODES`)."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]


class AllEventsRejected(DomainError):
    """Every event of a batch failed validation; each is kept in the rejected-events table with its reason."""

    code = "all_events_rejected"
    status = 400


class SourceNotFound(NotFound):
    code = "source_not_found"


class DuplicateSource(Conflict):
    code = "source_exists"


class SourceRevoked(Invalid):
    """A revoked source cannot be rotated: create a new one."""

    code = "source_revoked"


class ChannelRuleNotFound(NotFound):
    code = "channel_rule_not_found"


class InvalidChannelRule(Invalid):
    code = "invalid_channel_rule"


class EventNotFound(NotFound):
    code = "event_not_found"


class ImportFailed(Invalid):
    """The import file cannot be read (missing, not JSON lines or CSV)."""

    code = "import_failed"


# Reasons an event of a batch may be rejected (the `code` of a rejected event).
REJECTION_CODES: dict[str, str] = {
    "invalid_event": "the event is not a JSON object",
    "invalid_type": "type is not one of identify, track, page, screen, group, alias",
    "missing_identity": "userId or anonymousId is required",
    "missing_field": "a field this type requires is missing (event, previousId, groupId)",
    "invalid_field": "a field has the wrong type, is too long, or is a time out of range",
    "event_too_large": "the event exceeds 32 KB",
    "event_too_deep": "objects and arrays nest more than 64 levels deep",
}
