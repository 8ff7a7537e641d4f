"""Publishing realtime events after commit, and deciding which subscriber may see which event.

A service that changes data calls `publish(session, event)` next to its write. The event waits on the
session and reaches the bus only once the transaction has committed, so no screen ever shows a change that was
rolled back. Savepoints are honoured: an event queued inside a savepoint that rolls back is dropped, the
others wait for the outer commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.realtime.bus import Bus, RealtimeEvent
from omnicx.kernel.realtime.schemas import RealtimeEventPublic
from omnicx.kernel.realtime.topics import KernelTopic

log = logging.getLogger("omnicx.kernel.realtime")

_PENDING_KEY = "omnicx.kernel.realtime.pending"
# An event whose data names a user under this key reaches only that user's streams.
RECIPIENT_KEY = "recipient_user_id"
# Events that only some agents may see carry clauses of tokens (`member:<id>`, `team:<id>`): an agent receives
# the event when they hold a token of every clause. Other roles see every event their role's action allows.
AUDIENCE_KEY = "audience"


@dataclass(frozen=True)
class _Pending:
    """An event waiting for commit, with the (innermost) transaction it was queued in."""

    transaction: SessionTransaction | None
    event: RealtimeEvent


def publish(session: Session, event: RealtimeEvent) -> None:
    """Queue `event` to be published when `session`'s transaction commits (dropped if it rolls back).

    Only sessions from a sessionmaker passed to `install_publish_after_commit` ever publish.
    """
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING_KEY, []).append(_Pending(transaction, event))


def publish_now(bus: Bus, event: RealtimeEvent) -> None:
    """Publish immediately, for code with no transaction to wait for (the job worker, the CLI)."""
    _deliver(bus, [event])


def install_publish_after_commit(sessions: sessionmaker[Session], bus: Bus) -> None:
    """Make every session of `sessions` hand its queued events to `bus` after a successful commit.

    Infrastructure only: these listeners move already-decided events; they never make business decisions.
    Call once per sessionmaker (the runtime does), or events would be published twice.
    """

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint was released: the outer transaction can still roll back
        _deliver(bus, [pending.event for pending in session.info.pop(_PENDING_KEY, [])])

    sa_event.listen(sessions, "after_commit", after_commit)
    sa_event.listen(sessions, "after_soft_rollback", _drop_rolled_back)
    sa_event.listen(sessions, "after_transaction_end", _drop_leftovers)


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A transaction or savepoint rolled back: forget the events queued inside it."""
    pending: list[_Pending] | None = session.info.get(_PENDING_KEY)
    if pending:
        pending[:] = [p for p in pending if not _queued_within(p.transaction, previous_transaction)]


def _drop_leftovers(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without publishing (rollback, close without commit): drop the rest.

    `after_rollback` alone is not enough: closing a session with an open transaction fires no rollback event.
    """
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def _queued_within(queued_in: SessionTransaction | None, ended: SessionTransaction) -> bool:
    transaction = queued_in
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return queued_in is None and ended.parent is None


def _deliver(bus: Bus, events: Iterable[RealtimeEvent]) -> None:
    """Publish each event; a failure is logged, never raised: the data is committed, screens will resync."""
    for item in events:
        try:
            bus.publish(item)
        except Exception:
            log.exception("realtime event %s (%s) could not be published", item.id, item.topic)


def parse_topics(raw: str | None) -> tuple[str, ...]:
    """`"inbox, job.dead"` -> `("inbox", "job.dead")`; empty means every topic."""
    if not raw:
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def visible_to(
    event: RealtimeEvent,
    *,
    principal: Principal,
    topics: tuple[str, ...] = (),
    tokens: frozenset[str] = frozenset(),
) -> bool:
    """Whether `principal` (asking for `topics`) may receive `event`: same workspace, role allows its action,
    and, for an event addressed to one user (`data["recipient_user_id"]`), that user.

    A topic filter matches whole dot-separated segments: `inbox` matches `inbox.message.created`, not
    `inboxes`. Resync markers ignore the topic filter, since a client must always learn that it missed events.
    """
    if event.workspace_id != principal.workspace_id or not allows(principal.role, Action(event.action)):
        return False
    recipient = event.data.get(RECIPIENT_KEY)
    if recipient is not None and recipient != str(principal.user_id):
        return False  # addressed to one user (an agent's notification): nobody else sees it
    clauses = event.data.get(AUDIENCE_KEY) or []
    agent = principal.role is Role.AGENT and principal.user_id is not None
    if agent and not all(set(clause) & tokens for clause in clauses):
        return False  # an agent outside the conversation's inbox or scope
    if not topics or event.topic == KernelTopic.RESYNC:
        return True
    return any(_topic_matches(event.topic, prefix) for prefix in topics)


def _topic_matches(topic: str, prefix: str) -> bool:
    if prefix.endswith("."):
        return topic.startswith(prefix)
    return topic == prefix or topic.startswith(prefix + ".")


def to_public(event: RealtimeEvent) -> RealtimeEventPublic:
    return RealtimeEventPublic(
        id=event.id,
        workspace_id=event.workspace_id,
        topic=event.topic,
        action=event.action,
        at=event.at,
        data=event.data,
    )
