"""Contact analysis: why customers write (the detected intent of each conversation), week by week and per
channel, how often they write again within a week (repeat contacts) and how often one conversation settled it
(first-contact resolution), with the phrases they use most for each reason.

Counts come from the analytics engine (the copy's `conversations` and `messages`); only the phrases read the
messages' text, which the copy does not hold, from the store of record (the first message of at most
`PHRASE_SAMPLE` conversations per reason).

- A *repeat contact* is a conversation of a customer who started another one in the 7 days before it.
- A conversation is *resolved at first contact* when it is resolved and its customer started no other
  conversation within 7 days of the resolution (a conversation whose customer is unknown counts when resolved).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.inbox.enums import MessageKind
from omnicx.inbox.models import Conversation, Message
from omnicx.inbox.phrases import top_phrases
from omnicx.inbox.schemas import ContactReasonsReport, Phrase, ReasonCount, ReasonRow
from omnicx.inbox.service.reports import _bounds

WINDOW_DAYS = 7
PHRASE_SAMPLE = 300
NO_REASON = "none"

# The window (7 days, `WINDOW_DAYS`) and the reason of a conversation without one (`NO_REASON`) are written out.
REASONS = """
WITH spoken AS (
    SELECT id, customer_id, channel, coalesce(intent, 'none') AS reason, status, created_at, resolved_at
    FROM conversations
    WHERE merged_into_id IS NULL
        AND created_at >= $since - INTERVAL 7 DAY AND created_at < $until + INTERVAL 7 DAY
        AND id IN (SELECT conversation_id FROM messages WHERE kind = 'incoming')
),
ordered AS (
    SELECT *,
        CASE WHEN customer_id IS NULL THEN NULL
             ELSE lag(created_at) OVER (PARTITION BY customer_id ORDER BY created_at, id) END AS previous_at,
        CASE WHEN customer_id IS NULL THEN NULL
             ELSE lead(created_at) OVER (PARTITION BY customer_id ORDER BY created_at, id) END AS next_at
    FROM spoken
),
facts AS (
    SELECT
        reason,
        channel,
        CAST(date_trunc('week', CAST(timezone($tz, created_at) AS DATE)) AS DATE) AS week,
        CASE WHEN previous_at IS NOT NULL AND previous_at >= created_at - INTERVAL 7 DAY
             THEN 1 ELSE 0 END AS repeat,
        CASE WHEN status = 'resolved' THEN 1 ELSE 0 END AS resolved,
        CASE WHEN status = 'resolved'
                  AND (next_at IS NULL OR next_at > resolved_at + INTERVAL 7 DAY)
             THEN 1 ELSE 0 END AS settled
    FROM ordered
    WHERE created_at >= $since AND created_at < $until
)
SELECT grouping(reason), grouping(channel), grouping(week), reason, channel, week,
    count(*), sum(repeat), sum(resolved), sum(settled)
FROM facts
GROUP BY GROUPING SETS ((), (reason), (reason, channel), (reason, week))
"""


def contact_reasons(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date
) -> ContactReasonsReport:
    """Why customers wrote from `start` to `end` (inclusive, the workspace's days), with repeat contacts,
    first-contact resolution and each reason's most frequent phrases."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    since, until = _bounds(start, end, workspace.timezone)
    rows = analytics_service.query(
        session,
        workspace_id=workspace_id,
        sql=REASONS,
        params={"tz": workspace.timezone, "since": since, "until": until},
    )
    total = _row("", 0, 0, 0, 0, 0)
    reasons: dict[str, tuple[int, int, int, int]] = {}
    weekly: list[ReasonCount] = []
    by_channel: list[ReasonCount] = []
    for g_reason, g_channel, g_week, reason, channel, week, count, repeat, resolved, settled in rows:
        measures = (int(count), int(repeat or 0), int(resolved or 0), int(settled or 0))
        if g_reason:
            total = _row("", measures[0], *measures)
        elif g_channel and g_week:
            reasons[str(reason)] = measures
        elif not g_channel:
            by_channel.append(ReasonCount(key=str(channel), reason=str(reason), conversations=measures[0]))
        else:
            weekly.append(ReasonCount(key=_iso(week), reason=str(reason), conversations=measures[0]))
    ranked = sorted(reasons.items(), key=lambda item: (-item[1][0], item[0]))
    return ContactReasonsReport(
        workspace_id=workspace_id,
        start=start,
        end=end,
        timezone=workspace.timezone,
        total=total,
        reasons=[_row(reason, total.conversations, *measures) for reason, measures in ranked],
        weekly=sorted(weekly, key=lambda c: (c.key, c.reason)),
        by_channel=sorted(by_channel, key=lambda c: (c.key, c.reason)),
        phrases=_phrases(session, workspace_id, since, until),
    )


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _row(
    reason: str, all_conversations: int, count: int, repeat: int, resolved: int, settled: int
) -> ReasonRow:
    return ReasonRow(
        reason=reason,
        conversations=count,
        share=round(count / all_conversations, 4) if all_conversations else 0.0,
        repeat=repeat,
        repeat_rate=round(repeat / count, 4) if count else None,
        resolved=resolved,
        first_contact_resolved=settled,
        fcr=round(settled / resolved, 4) if resolved else None,
    )


def _phrases(
    session: Session, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, list[Phrase]]:
    """Each reason's most frequent phrases, over the first customer message of its latest conversations."""
    conversations = session.execute(
        select(Conversation.id, Conversation.intent)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.merged_into_id.is_(None),
            Conversation.created_at >= since,
            Conversation.created_at < until,
        )
        .order_by(Conversation.created_at.desc())
    ).all()
    sample: dict[uuid.UUID, str] = {}
    taken: dict[str, int] = defaultdict(int)
    for conversation_id, intent in conversations:
        reason = intent or NO_REASON
        if taken[reason] < PHRASE_SAMPLE:
            taken[reason] += 1
            sample[conversation_id] = reason
    texts: dict[str, list[str]] = defaultdict(list)
    seen: set[uuid.UUID] = set()
    ids = list(sample)
    for chunk in range(0, len(ids), 500):
        messages = session.execute(
            select(Message.conversation_id, Message.text)
            .where(
                Message.conversation_id.in_(ids[chunk : chunk + 500]), Message.kind == MessageKind.INCOMING
            )
            .order_by(Message.created_at, Message.id)
        )
        for conversation_id, text in messages:
            if conversation_id not in seen:  # the conversation's first customer message
                seen.add(conversation_id)
                texts[sample[conversation_id]].append(text)
    return {
        reason: [Phrase(text=p, count=n) for p, n in top_phrases(found)] for reason, found in texts.items()
    }


def contact_reasons_csv(data: ContactReasonsReport) -> str:
    """One line per reason, then the total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = [name for name in ReasonRow.model_fields if name != "reason"]
    writer.writerow(["reason", *fields])
    for row in [*data.reasons, data.total.model_copy(update={"reason": "total"})]:
        values = row.model_dump()
        writer.writerow([row.reason, *("" if values[f] is None else values[f] for f in fields)])
    return buffer.getvalue()
