"""The OpenAPI document `/api/docs` shows: FastAPI's, plus the Segment-compatible collection API.

The collection routes (`tracking.collect`) read their raw body on purpose (any content type, gzip, one parse in a
worker thread), so FastAPI sees no body parameter to document and they are left out of its schema. Their wire
format is described here instead, schema only: the handlers are untouched. `tests/app/test_openapi.py` checks
that every documented path is a route the app serves.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

WRITE_KEY = "writeKey"
COLLECTION_TAG = "collection"

# The calls of the collection API: what each records, and the fields its type requires beyond an identity.
CALLS: dict[str, tuple[str, str, list[str]]] = {
    "identify": ("Identify", "Who the user is: `userId` and/or `anonymousId`, with `traits`.", []),
    "track": ("Track", "Something the user did: `event` and its `properties`.", ["event"]),
    "page": ("Page", "A web page view.", []),
    "screen": ("Screen", "An app screen view.", []),
    "group": (
        "Group",
        "The user belongs to a company or account (`groupId`), with its `traits`.",
        ["groupId"],
    ),
    "alias": ("Alias", "`previousId` and `userId` are the same person.", ["previousId", "userId"]),
}

_OBJECT = {"type": "object", "additionalProperties": True}
_COMMON: dict[str, Any] = {
    "messageId": {
        "type": "string",
        "description": "Unique per event: a retry with the same id stores nothing twice.",
    },
    "anonymousId": {
        "type": "string",
        "description": "The device's id (either this or `userId` is required).",
    },
    "userId": {"type": "string", "description": "Your id for the person (either this or `anonymousId`)."},
    "timestamp": {"type": "string", "format": "date-time", "description": "When it happened (ISO 8601)."},
    "context": {
        **_OBJECT,
        "description": "Page, campaign, device, IP, library: as Segment's libraries send it.",
    },
    "integrations": _OBJECT,
}
_OWN: dict[str, dict[str, Any]] = {
    "identify": {"traits": _OBJECT},
    "track": {"event": {"type": "string", "example": "Order Completed"}, "properties": _OBJECT},
    "page": {"name": {"type": "string"}, "category": {"type": "string"}, "properties": _OBJECT},
    "screen": {"name": {"type": "string"}, "category": {"type": "string"}, "properties": _OBJECT},
    "group": {"groupId": {"type": "string"}, "traits": _OBJECT},
    "alias": {"previousId": {"type": "string"}},
}
_WRITE_KEY_FIELD = {
    "type": "string",
    "description": "The source's write key, when it is not sent as the HTTP Basic user name.",
}

_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
_ACCEPTED = {
    "type": "object",
    "required": ["success"],
    "properties": {
        "success": {"type": "boolean", "enum": [True]},
        "accepted": {"type": "integer", "description": "Present when some events were rejected."},
        "rejected": {"type": "integer"},
        "errors": {"type": "array", "items": _OBJECT, "description": "Why each rejected event was."},
    },
}
_ERRORS = {
    "400": "`invalid_json`, `invalid_batch`, `empty_batch`, or the single event is invalid (its own code).",
    "401": "`invalid_write_key`: no write key, or it is unknown or revoked.",
    "413": "`payload_too_large`: more than 4 MB once decompressed, or an event over 32 KB.",
    "415": "`unsupported_encoding`: a `Content-Encoding` other than gzip or deflate.",
    "429": "`rate_limited`: past the write key's or the address's limit; retry after `Retry-After` seconds.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _message_schema(kind: str, *, in_batch: bool) -> dict[str, Any]:
    _, description, required = CALLS[kind]
    properties = {
        "type": {"type": "string", "enum": [kind]},
        **_COMMON,
        **_OWN[kind],
    }
    if not in_batch:
        properties["writeKey"] = _WRITE_KEY_FIELD
    return {
        "type": "object",
        "description": description,
        "required": (["type"] if in_batch else []) + required,
        "properties": properties,
        "additionalProperties": True,
    }


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "CollectionAccepted": _ACCEPTED,
        "CollectionError": _ERROR,
        "SegmentBatch": {
            "type": "object",
            "required": ["batch"],
            "properties": {
                "batch": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "oneOf": [_ref(f"Segment{title}Event") for title, _, _ in CALLS.values()],
                        "discriminator": {
                            "propertyName": "type",
                            "mapping": {
                                kind: f"#/components/schemas/Segment{title}Event"
                                for kind, (title, _, _) in CALLS.items()
                            },
                        },
                    },
                },
                "context": {**_OBJECT, "description": "Applies to every event; an event's own keys win."},
                "sentAt": {"type": "string", "format": "date-time", "description": "Corrects clock skew."},
                "writeKey": _WRITE_KEY_FIELD,
            },
        },
    }
    for kind, (title, _, _) in CALLS.items():
        schemas[f"Segment{title}"] = _message_schema(kind, in_batch=False)
        schemas[f"Segment{title}Event"] = _message_schema(kind, in_batch=True)
    return schemas


def _operation(summary: str, description: str, body: str, operation_id: str) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {
            "description": "Stored (committed) before this answer; with counts when some events were rejected.",
            "content": {"application/json": {"schema": _ref("CollectionAccepted")}},
        }
    }
    for status, meaning in _ERRORS.items():
        responses[status] = {
            "description": meaning,
            "content": {"application/json": {"schema": _ref("CollectionError")}},
        }
    return {
        "tags": [COLLECTION_TAG],
        "summary": summary,
        "description": description
        + "\n\nThe body may be gzip-compressed (`Content-Encoding: gzip`) and is parsed as JSON whatever its "
        "`Content-Type` (analytics.js sends `text/plain`).",
        "operationId": operation_id,
        "security": [{WRITE_KEY: []}, {}],  # Basic auth, or `writeKey` in the body
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": responses,
    }


def collection_paths() -> dict[str, Any]:
    """The collection API's operations, by path."""
    paths: dict[str, Any] = {}
    batch = (
        "Many calls at once (`batch`: a list of events, each with its `type`): what the server libraries send. "
        "One invalid event is rejected alone (kept with its reason, counted in the answer), never the batch."
    )
    paths["/v1/batch"] = {
        "post": _operation("Send a batch of events", batch, "SegmentBatch", "collect_batch")
    }
    paths["/v1/import"] = {
        "post": _operation(
            "Import a batch of events", "Same as `/v1/batch`.", "SegmentBatch", "collect_import"
        )
    }
    for kind, (title, description, _) in CALLS.items():
        letter = f" analytics.js 2.0 posts it to `/v1/{kind[0]}`."
        paths[f"/v1/{kind}"] = {
            "post": _operation(title, description + letter, f"Segment{title}", f"collect_{kind}")
        }
    return paths


def _document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the collection API and its write-key scheme to FastAPI's schema."""
    schema.setdefault("paths", {}).update(collection_paths())
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(_schemas())
    components.setdefault("securitySchemes", {})[WRITE_KEY] = {
        "type": "http",
        "scheme": "basic",
        "description": "A tracking source's write key as the user name, with an empty password (as Segment's "
        "libraries send it); or `writeKey` in the body.",
    }
    schema.setdefault("tags", []).append(
        {
            "name": COLLECTION_TAG,
            "description": "The Segment-compatible collection API: Segment's and RudderStack's libraries send "
            "to it unchanged, authenticated by a source's write key rather than an API token.",
        }
    )
    return schema


def install_openapi(app: FastAPI) -> None:
    """Serve FastAPI's schema with the collection API added (built once, on the first request)."""
    generate = app.openapi  # FastAPI's own

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
