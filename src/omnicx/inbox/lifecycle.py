"""Pure status rules of a conversation: where a new inbound message goes, what wakes a snoozed one, and how a
message's delivery status may move. No database: the service asks, then acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from omnicx.inbox.enums import ConversationStatus, DeliveryStatus


class Placement(StrEnum):
    """What to do with a new inbound message, given the candidate conversation."""

    APPEND = "append"  # the conversation is active: add to it
    WAKE = "wake"  # the conversation is snoozed: add to it and open it
    REOPEN = "reopen"  # resolved within the reopen window: open it again
    NEW = "new"  # nothing active or recent: start a new conversation


@dataclass(frozen=True)
class Candidate:
    """The conversation an inbound message could join (by thread, or the contact's latest)."""

    status: ConversationStatus
    resolved_at: datetime | None


def place_inbound(candidate: Candidate | None, *, now: datetime, reopen_window: timedelta) -> Placement:
    """Where a new inbound message goes.

    Open and pending conversations take it; a snoozed one wakes; a resolved one reopens if it was resolved
    within `reopen_window`, else the message starts a new conversation.
    """
    if candidate is None:
        return Placement.NEW
    if candidate.status in (ConversationStatus.OPEN, ConversationStatus.PENDING):
        return Placement.APPEND
    if candidate.status is ConversationStatus.SNOOZED:
        return Placement.WAKE
    resolved_at = candidate.resolved_at
    if resolved_at is not None and now - resolved_at <= reopen_window:
        return Placement.REOPEN
    return Placement.NEW


def should_wake(status: ConversationStatus, snoozed_until: datetime | None, *, now: datetime) -> bool:
    """A snoozed conversation wakes once its time has come (the wake job asks this when it runs)."""
    return status is ConversationStatus.SNOOZED and snoozed_until is not None and snoozed_until <= now


def should_auto_resolve(
    status: ConversationStatus,
    *,
    waiting_since: datetime | None,
    last_message_at: datetime | None,
    after: timedelta | None,
    now: datetime,
) -> bool:
    """An open or pending conversation resolves itself when an agent wrote last (nobody is waiting on the team)
    and nothing was said for `after`. A customer waiting for an answer is never dropped this way, and a snoozed
    conversation waits for its own time."""
    if after is None or status not in (ConversationStatus.OPEN, ConversationStatus.PENDING):
        return False
    if waiting_since is not None or last_message_at is None:
        return False
    return now - last_message_at >= after


def is_active(status: ConversationStatus) -> bool:
    """Active conversations hold their contact's single open slot (anything not resolved)."""
    return status is not ConversationStatus.RESOLVED


_RANK = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}


def next_delivery_status(current: DeliveryStatus | None, reported: DeliveryStatus) -> DeliveryStatus | None:
    """The status after a provider reports `reported`, or None when the report must be ignored.

    Statuses only move forward (pending -> sent -> delivered -> read); `failed` is accepted only before the
    message was delivered, and nothing moves a failed message except a later proof of delivery. The one
    exception lives outside this rule: an agent's explicit retry (`service.retry_message`) moves a failed
    reply back to pending for a new provider call with the same Message-ID.
    """
    if current is None:
        return reported
    if current is DeliveryStatus.FAILED:
        return reported if reported in (DeliveryStatus.DELIVERED, DeliveryStatus.READ) else None
    if reported is DeliveryStatus.FAILED:
        return reported if _RANK[current] < _RANK[DeliveryStatus.DELIVERED] else None
    return reported if _RANK[reported] > _RANK[current] else None
