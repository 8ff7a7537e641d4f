"""Ingestion never fails a batch for one event.

A poison event (nested deeper than can be stored, times whose arithmetic overflows) is rejected alone, kept with
the other rejections; the good events of its batch are stored and the answer is 200, so a Segment SDK does not
retry the batch forever. The write key is checked before the body is parsed, and what analysts see of a rejected
event never shows a write key.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.errors import install_error_handlers
from omnicx.tracking import service as tracking_service
from omnicx.tracking.models import RejectedEvent
from omnicx.tracking.wire import MAX_EVENT_DEPTH, too_deep
from tests.conftest import World
from tests.helpers import sign_in
from tests.tracking.conftest import Counts, KeyedSource, stored_message_ids

GOOD = [
    {"type": "track", "event": "Viewed", "userId": "u-1", "messageId": "good-1"},
    {"type": "page", "anonymousId": "a-1", "messageId": "good-2"},
]


def nested_event(levels: int) -> bytes:
    """A track call whose properties nest `levels` objects deep (the event itself one level more), as bytes:
    orjson refuses to write objects nested more than 255 deep."""
    deep = b'{"n":' * levels + b"1" + b"}" * levels
    return b'{"type":"track","event":"Deep","userId":"u-1","messageId":"deep","properties":' + deep + b"}"


def batch_bytes(*events: bytes, extra: bytes = b"") -> bytes:
    return b'{"batch":[' + b",".join(events) + b"]" + extra + b"}"


def good_events() -> list[bytes]:
    return [orjson.dumps(e) for e in GOOD]


def rejected_rows(runtime: Runtime) -> list[RejectedEvent]:
    with runtime.sessions() as session:
        return list(session.scalars(select(RejectedEvent)))


@pytest.mark.parametrize("levels", [MAX_EVENT_DEPTH, 252, 253, 300, 1000])
def test_a_deeply_nested_event_is_rejected_alone(
    levels: int, client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    body = batch_bytes(*good_events(), nested_event(levels))
    response = client.post("/v1/batch", content=body, headers=source.basic)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    assert answer["errors"][0]["code"] == "event_too_deep"
    assert sorted(stored_message_ids(runtime)) == ["good-1", "good-2"]
    [row] = rejected_rows(runtime)
    assert (row.code, row.message_id) == ("event_too_deep", "deep")


def test_an_event_nested_up_to_the_limit_is_stored(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    body = batch_bytes(nested_event(MAX_EVENT_DEPTH - 1))
    response = client.post("/v1/batch", content=body, headers=source.basic)
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert stored_message_ids(runtime) == ["deep"]


def depth(value: object) -> int:
    """How many levels of objects and arrays `value` has (a scalar none, `{}` one)."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=40,
)


@given(JSON_VALUES, st.integers(min_value=0, max_value=9))
def test_too_deep_is_nesting_past_the_limit(value: object, limit: int) -> None:
    assert too_deep(value, limit) == (depth(value) > limit)


@pytest.mark.parametrize(
    ("fields", "sent_at"),
    [
        ({"timestamp": "0001-01-01T00:00:00Z"}, "9999-12-31T23:59:59Z"),
        ({"originalTimestamp": "9999-12-31T23:59:59Z"}, "0001-01-01T00:00:00Z"),
        ({"timestamp": "0001-01-01T00:00:00+05:00"}, None),
        ({"timestamp": "9999-12-31T23:59:59-05:00"}, None),
        ({"timestamp": "9999-12-31T23:59:00Z"}, None),
    ],
)
def test_times_out_of_range_reject_the_event_alone(
    fields: dict[str, str], sent_at: str | None, client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    poison = {"type": "track", "event": "Odd", "userId": "u-1", "messageId": "odd", **fields}
    body: dict[str, object] = {"batch": [*GOOD, poison]}
    if sent_at is not None:
        body["sentAt"] = sent_at
    response = client.post("/v1/batch", json=body, headers=source.basic)
    assert response.status_code == 200, response.text
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, 1)
    assert sorted(stored_message_ids(runtime)) == ["good-1", "good-2"]
    [row] = rejected_rows(runtime)
    assert (row.code, row.message_id) == ("invalid_field", "odd")
    # The events that were stored are processed: no time left in the store breaks the job's arithmetic.
    worker = Worker(runtime, "test-worker")
    while worker.run_once():
        pass
    with runtime.sessions() as session:
        statuses = session.scalars(select(Job.status).where(Job.kind == tracking_service.PROCESS_JOB)).all()
    assert statuses == [JobStatus.SUCCEEDED]


@pytest.mark.parametrize("sent_at", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "not a time"])
def test_a_batch_whose_sent_at_is_unusable_keeps_its_events(
    sent_at: str, client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    timed = {**GOOD[0], "timestamp": "2026-05-04T10:00:00Z"}
    response = client.post(
        "/v1/batch", json={"batch": [timed, GOOD[1]], "sentAt": sent_at}, headers=source.basic
    )
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert sorted(stored_message_ids(runtime)) == ["good-1", "good-2"]


def test_a_single_call_with_a_poison_event_is_refused_with_400(
    client: TestClient, source: KeyedSource, count_rows: Callable[[], Counts]
) -> None:
    deep = nested_event(300)
    response = client.post("/v1/track", content=deep, headers=source.basic)
    assert (response.status_code, response.json()["code"]) == (400, "event_too_deep")
    assert count_rows().events == 0


@pytest.mark.parametrize(
    "body",
    [
        b"this is not JSON",
        batch_bytes(nested_event(300)),
        b'{"batch":[{"type":"track","event":"E","userId":"u","writeKey":"omxw_inside_an_event"}]}',
    ],
    ids=["not-json", "poison", "key-inside-an-event-only"],
)
def test_without_a_write_key_the_body_is_not_parsed(
    body: bytes, client: TestClient, source: KeyedSource, count_rows: Callable[[], Counts]
) -> None:
    response = client.post("/v1/batch", content=body)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_write_key"
    assert response.headers["www-authenticate"].startswith("Basic")
    unknown = client.post("/v1/batch", content=body, headers={"Authorization": "Basic dW5rbm93bjo="})
    assert (unknown.status_code, unknown.json()["code"]) == (401, "invalid_write_key")
    assert count_rows() == Counts(events=0, rejected=0, jobs=0)


def test_a_write_key_in_the_body_is_still_honoured_before_parsing(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    body = batch_bytes(
        *good_events(), nested_event(300), extra=b',"writeKey":"' + source.write_key.encode() + b'"'
    )
    response = client.post("/v1/batch", content=body)
    assert response.status_code == 200, response.text
    assert sorted(stored_message_ids(runtime)) == ["good-1", "good-2"]
    # Another key first inside an event does not stand in for the batch's own.
    other = b'{"batch":[{"type":"track","event":"E","userId":"u","writeKey":"omxw_nobody"}],"writeKey":"'
    answer = client.post("/v1/batch", content=other + source.write_key.encode() + b'"}')
    assert answer.status_code == 200, answer.text


def test_secrets_in_rejected_events_are_masked_for_analysts(
    app: FastAPI, client: TestClient, db: Session, world: World, source: KeyedSource, runtime: Runtime
) -> None:
    key = source.write_key
    missing_identity = {"type": "track", "event": "E", "writeKey": key, "properties": {"writeKey": key}}
    too_large = {
        "type": "track",
        "writeKey": key,
        "userId": "u",
        "event": "Big",
        "properties": {"x": "y" * 40_000},
    }
    body = {"batch": [*GOOD, missing_identity, too_large]}
    response = client.post("/v1/batch", json=body, headers=source.basic)
    assert (response.status_code, response.json()["rejected"]) == (200, 2), response.text
    stored = [orjson.dumps(row.payload) for row in rejected_rows(runtime)]
    assert len(stored) == 2
    assert not any(key.encode() in payload for payload in stored)  # masked when stored, not only when shown
    # A row stored before masking existed is masked when read.
    db.add(
        RejectedEvent(
            workspace_id=world.workspace.id,
            source_id=uuid.UUID(source.id),
            received_at=utcnow(),
            code="missing_identity",
            message="userId or anonymousId is required",
            message_id=None,
            payload={"type": "track", "writeKey": key, "context": {"password": "hunter2-secret"}},
        )
    )
    db.commit()
    db.close()
    listing = client.get("/api/v1/tracking/rejected", headers=world.token(Role.ANALYST))
    assert listing.status_code == 200
    assert listing.json()["total"] == 3
    assert key not in listing.text and key[:20] not in listing.text
    assert "hunter2-secret" not in listing.text
    assert "writeKey" in listing.text  # the field is still there, its value masked
    analyst = world.members[Role.ANALYST]
    sign_in(client, analyst.email, analyst.password)
    page = client.get("/events", params={"view": "rejected"})
    assert page.status_code == 200
    assert key not in page.text and key[:20] not in page.text
    assert "hunter2-secret" not in page.text


def test_identical_unexpected_errors_are_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_error_handlers(app, repeat_interval=3600)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("poison")

    # Raising server exceptions: an error that went on to the server (which logs its traceback) fails the test.
    with TestClient(app) as client, caplog.at_level(logging.ERROR):
        answers = [client.get("/api/boom") for _ in range(5)]
    assert [a.status_code for a in answers] == [500] * 5
    assert {a.json()["code"] for a in answers} == {"internal_error"}
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1
    incident = tracebacks[0].getMessage().split()[2]
    assert all(incident in a.json()["message"] for a in answers)  # every caller can quote the logged incident


def test_with_no_interval_every_unexpected_error_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_error_handlers(app, repeat_interval=0)

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("poison")

    with TestClient(app) as client, caplog.at_level(logging.ERROR):
        for _ in range(3):
            assert client.get("/api/boom").status_code == 500
    assert len([r for r in caplog.records if r.exc_info]) == 3
