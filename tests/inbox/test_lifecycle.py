"""The pure status rules, table-driven: where an inbound message goes, when a snooze ends, delivery status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omnicx.inbox.enums import ConversationStatus as S
from omnicx.inbox.enums import DeliveryStatus as D
from omnicx.inbox.lifecycle import Candidate, Placement, next_delivery_status, place_inbound, should_wake

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (None, Placement.NEW),
        (Candidate(S.OPEN, None), Placement.APPEND),
        (Candidate(S.PENDING, None), Placement.APPEND),
        (Candidate(S.SNOOZED, None), Placement.WAKE),
        (Candidate(S.RESOLVED, NOW - timedelta(hours=1)), Placement.REOPEN),
        (Candidate(S.RESOLVED, NOW - WINDOW), Placement.REOPEN),
        (Candidate(S.RESOLVED, NOW - WINDOW - timedelta(seconds=1)), Placement.NEW),
        (Candidate(S.RESOLVED, None), Placement.NEW),
    ],
)
def test_where_an_inbound_message_goes(candidate: Candidate | None, expected: Placement) -> None:
    assert place_inbound(candidate, now=NOW, reopen_window=WINDOW) is expected


def test_a_zero_window_never_reopens() -> None:
    resolved = Candidate(S.RESOLVED, NOW - timedelta(seconds=1))
    assert place_inbound(resolved, now=NOW, reopen_window=timedelta(0)) is Placement.NEW


@pytest.mark.parametrize(
    ("status", "until", "expected"),
    [
        (S.SNOOZED, NOW - timedelta(seconds=1), True),
        (S.SNOOZED, NOW, True),
        (S.SNOOZED, NOW + timedelta(seconds=1), False),
        (S.SNOOZED, None, False),
        (S.OPEN, NOW - timedelta(hours=1), False),
        (S.RESOLVED, NOW - timedelta(hours=1), False),
    ],
)
def test_when_a_snoozed_conversation_wakes(status: S, until: datetime | None, expected: bool) -> None:
    assert should_wake(status, until, now=NOW) is expected


@pytest.mark.parametrize(
    ("current", "reported", "expected"),
    [
        (None, D.SENT, D.SENT),
        (D.PENDING, D.SENT, D.SENT),
        (D.SENT, D.DELIVERED, D.DELIVERED),
        (D.DELIVERED, D.READ, D.READ),
        (D.PENDING, D.READ, D.READ),
        (D.READ, D.DELIVERED, None),
        (D.DELIVERED, D.SENT, None),
        (D.READ, D.SENT, None),
        (D.SENT, D.SENT, None),
        (D.SENT, D.FAILED, D.FAILED),
        (D.PENDING, D.FAILED, D.FAILED),
        (D.DELIVERED, D.FAILED, None),
        (D.READ, D.FAILED, None),
        (D.FAILED, D.SENT, None),
        (D.FAILED, D.DELIVERED, D.DELIVERED),
    ],
)
def test_delivery_status_only_moves_forward(current: D | None, reported: D, expected: D | None) -> None:
    assert next_delivery_status(current, reported) is expected
