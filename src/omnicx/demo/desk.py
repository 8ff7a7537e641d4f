"""The demo's customer service through the inbox service: a chat and an email inbox with an SLA policy, and
conversations in four languages on each, at historical times, some answered within the SLA, some late, some
still waiting, pending or snoozed, most resolved.

Every step is an inbox service call (`receive`, `update_conversation`, `reply`, `apply_status`) with its
historical time, so contacts resolve to the generated customers through identity, touchpoints are recorded for
attribution and the reports measure real first-response and resolution times.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.schemas import MemberPublic, TeamPublic
from omnicx.demo.providers import ADDRESSES
from omnicx.demo.texts import LANGUAGES, LOCALE_LANGUAGE, SCRIPTS, Exchange
from omnicx.demo.world import ITEMS, Person
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus, DeliveryStatus, MessagingChannel, Priority
from omnicx.inbox.schemas import (
    CannedResponseCreate,
    ConversationUpdate,
    InboundMessage,
    InboxCreate,
    InboxPublic,
    ReplyCreate,
    SlaPolicyCreate,
    StatusReport,
    TemplateMessage,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.dns import StaticResolver
from omnicx.ownership import service as ownership_service
from omnicx.ownership.enums import ClaimKind

EMAIL_ADDRESS = "hello@maison-lumiere.example.com"
EMAIL_DOMAIN = EMAIL_ADDRESS.rpartition("@")[2]


# Replies agents type as `/shortcut`, in the four languages the shop's customers write in.
CANNED = {
    "hello": "Hello, thank you for contacting Maison Lumière! How can I help you today?",
    "bonjour": "Bonjour et merci de contacter Maison Lumière ! Comment puis-je vous aider ?",
    "halo": "Halo, terima kasih telah menghubungi Maison Lumière! Ada yang bisa kami bantu?",
    "hola": "Hola, gràcies per contactar amb Maison Lumière! En què us puc ajudar?",
    "order-status": "You can follow every step of your order on its page; I have checked it and it is on its way.",
    "returns": "Returns are free within 30 days, by post or in any of our stores; keep the receipt or order number.",
    "pickup": "Your order waits for you at the store's counter; bring the six-digit pickup code from our message.",
}


def principal_for(workspace_id: uuid.UUID, member: MemberPublic) -> Principal:
    return Principal(
        workspace_id=workspace_id, role=member.role, user_id=member.user_id, label=member.name or member.email
    )


def seed_inboxes(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    secret_key: str,
    provider_accounts: dict[MessagingChannel, dict[str, str]] | None = None,
    base_url: str | None = None,
) -> list[InboxPublic]:
    """One inbox per channel kind, routed to the Support team, under a two-hour first-response policy during the
    shops' opening hours. The provider inboxes (SMS, WhatsApp, Messenger, Instagram, Telegram) are on
    `provider_accounts` (the demo's local providers, which prove the shop's number, Page, account and bot like
    the real ones would; the bot's webhook is registered at `base_url`); a provider channel without one gets no
    inbox."""
    accounts = provider_accounts or {}
    members = auth_service.list_members(session, workspace_id=workspace_id)
    owner = principal_for(workspace_id, next(m for m in members if m.role is Role.OWNER))
    support = _team(session, workspace_id, "Support")
    prove_domain(session, owner)
    names = {
        MessagingChannel.CHAT: "Website chat",
        MessagingChannel.EMAIL: "Customer service email",
        MessagingChannel.SMS: "Text messages",
        MessagingChannel.WHATSAPP: "WhatsApp",
        MessagingChannel.MESSENGER: "Facebook Messenger",
        MessagingChannel.INSTAGRAM: "Instagram DMs",
        MessagingChannel.TELEGRAM: "Telegram",
    }
    addresses = {MessagingChannel.EMAIL: EMAIL_ADDRESS, **ADDRESSES}
    inboxes = [
        inbox_service.create_inbox(
            session,
            principal=owner,
            data=InboxCreate(
                channel=kind,
                name=names.get(kind, kind.value.title()),
                address=addresses.get(kind),
                credentials=accounts.get(kind),
                team_id=support.id if support else None,
            ),
            secret_key=secret_key,
            base_url=base_url,
        )
        for kind in MessagingChannel
        if kind not in inbox_service.PROVIDER_CHANNELS or kind in accounts
    ]
    weekdays = {str(day): [("09:00", "19:00")] for day in range(6)}
    inbox_service.create_sla_policy(
        session,
        principal=owner,
        data=SlaPolicyCreate(
            name="Two-hour answer",
            first_response_minutes=120,
            next_response_minutes=240,
            resolution_minutes=48 * 60,
            business_hours=weekdays,
            inbox_ids=[i.id for i in inboxes],
        ),
    )
    for shortcut, content in CANNED.items():
        inbox_service.create_canned(
            session, principal=owner, data=CannedResponseCreate(shortcut=shortcut, content=content)
        )
    return inboxes


def prove_domain(session: Session, owner: Principal) -> None:
    """The shop proves its mail domain as any workspace does, by DNS: the demo world's DNS (its own records,
    nothing on the network) publishes the TXT record the claim asks for, and omnicx checks it. Audited like
    every proof ("ownership.verified", method dns)."""
    claim = ownership_service.start_claim(
        session, principal=owner, kind=ClaimKind.EMAIL_DOMAIN, value=EMAIL_DOMAIN
    )
    world_dns = StaticResolver()
    world_dns.txt(EMAIL_DOMAIN, claim.dns_record or "")
    ownership_service.check_dns(session, principal=owner, claim_id=claim.id, resolver=world_dns)


def _team(session: Session, workspace_id: uuid.UUID, name: str) -> TeamPublic | None:
    return next(
        (t for t in auth_service.list_teams(session, workspace_id=workspace_id) if t.name == name), None
    )


@dataclass
class _Fate:
    """How a conversation unfolds: when it is answered (None: not yet), and where it ends."""

    answer_after: timedelta | None
    follow_up: bool
    end: ConversationStatus


def _fate(rng: random.Random, age: timedelta) -> _Fate:
    if age < timedelta(hours=6):
        waiting = rng.random() < 0.6
        answer = None if waiting else timedelta(minutes=rng.randint(3, 60))
        return _Fate(answer, False, ConversationStatus.OPEN)
    roll = rng.random()
    late = rng.random() < 0.25
    answer = timedelta(hours=rng.uniform(3, 30)) if late else timedelta(minutes=rng.randint(2, 95))
    if age < timedelta(days=3):
        if roll < 0.3:
            return _Fate(answer, False, ConversationStatus.PENDING)
        if roll < 0.45:
            return _Fate(answer, True, ConversationStatus.SNOOZED)
        if roll < 0.65:
            return _Fate(None if roll < 0.55 else answer, False, ConversationStatus.OPEN)
    return _Fate(answer, rng.random() < 0.6, ConversationStatus.RESOLVED)


def seed_conversations(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    people: Sequence[Person],
    count: int,
    days: int,
    now: datetime,
    seed: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write `count` conversations spread over the inboxes and the four languages; returns how many
    conversations were opened and messages written (a customer writing again may continue an active one)."""
    if not people:
        return 0, 0
    rng = random.Random(seed + 2)
    inboxes = inbox_service.list_inboxes(session, workspace_id=workspace_id)
    members = auth_service.list_members(session, workspace_id=workspace_id)
    agents = [m for m in members if m.role in (Role.AGENT, Role.ADMIN)]
    teams = auth_service.list_teams(session, workspace_id=workspace_id)
    by_language: dict[str, list[Person]] = {language: [] for language in LANGUAGES}
    for person in people:
        by_language[LOCALE_LANGUAGE.get(person.locale, "en")].append(person)
    # Older conversations thin out; one in four is from the last two days, so the queue has work waiting.
    starts = sorted(
        now - timedelta(days=rng.uniform(0, 2) if n % 4 == 0 else rng.uniform(0, days) ** 1.6 / days**0.6)
        for n in range(count)
    )
    opened = messages = 0
    for number, start in enumerate(starts):
        language = LANGUAGES[number % len(LANGUAGES)]
        inbox = inboxes[(number // len(LANGUAGES)) % len(inboxes)]
        person = rng.choice(by_language[language] or list(people))
        exchange = rng.choice(SCRIPTS[language])
        agent = rng.choice(agents)
        team = rng.choice(teams) if teams else None
        new, written = _conversation(
            session, inbox, person, exchange, agent, team, start, _fate(rng, now - start), now, rng
        )
        opened += new
        messages += written
        if on_progress and ((number + 1) % 20 == 0 or number + 1 == count):
            on_progress(number + 1, count)
    return opened, messages


# A demo customer's id on each social channel (a Page-scoped id, an Instagram-scoped id, a Telegram user id):
# scoped to the shop's Page, account or bot, so it is a profile of its own until someone links it.
SOCIAL_IDS = {
    MessagingChannel.MESSENGER: 7_100_000_000_000_000,
    MessagingChannel.INSTAGRAM: 1_780_000_000_000_000,
    MessagingChannel.TELEGRAM: 500_000_000,
}


def inbound(
    inbox: InboxPublic, person: Person, subject: str, text: str, at: datetime, key: str
) -> InboundMessage:
    """What the channel adapter would have made of the customer's message (email address, widget visitor or
    mobile number): the demo's customers are signed in on the shop (a signed site identity), their mail is
    authenticated and their texts come from their own number, so their messages are verified and join their
    profiles."""
    chat = inbox.channel is MessagingChannel.CHAT
    if inbox.channel in SOCIAL_IDS:
        return InboundMessage(
            source_id=str(SOCIAL_IDS[inbox.channel] + person.index),
            name=person.name,
            provider_message_id=f"{inbox.channel.value}-{hashlib.sha256(key.encode()).hexdigest()[:40]}",
            text=text,
            received_at=at,
            sender_verified=True,
        )
    if inbox.channel in (MessagingChannel.SMS, MessagingChannel.WHATSAPP):
        digest = hashlib.sha256(key.encode()).hexdigest()
        return InboundMessage(
            source_id=person.phone,
            phone=person.phone,
            name=person.name if inbox.channel is MessagingChannel.WHATSAPP else "",  # a WhatsApp profile name
            provider_message_id=f"SM{digest[:32]}"
            if inbox.channel is MessagingChannel.SMS
            else f"wamid.{digest[:40]}",
            text=text,
            received_at=at,
            sender_verified=True,
        )
    return InboundMessage(
        source_id=person.anonymous_id if chat else person.email,
        name=person.name,
        email=person.email,
        anonymous_id=person.anonymous_id if chat else None,
        provider_message_id=f"<{key}@demo.maison-lumiere.example.com>",
        subject="" if chat else subject,
        text=text,
        received_at=at,
        sender_verified=True,
    )


def _conversation(
    session: Session,
    inbox: InboxPublic,
    person: Person,
    exchange: Exchange,
    agent: MemberPublic,
    team: TeamPublic | None,
    start: datetime,
    fate: _Fate,
    now: datetime,
    rng: random.Random,
) -> tuple[bool, int]:
    filled = {"order": f"ML-{rng.randint(10000, 99999)}", "product": rng.choice(ITEMS).product}
    subject = exchange.subject.format(**filled)
    key = f"demo-{inbox.id.hex[:8]}-{int(start.timestamp() * 1000)}-{person.index}"
    received = inbox_service.receive(
        session,
        inbox_id=inbox.id,
        message=inbound(inbox, person, subject, exchange.opening.format(**filled), start, key),
        now=start,
    )
    conversation_id = received.conversation_id
    principal = principal_for(inbox.workspace_id, agent)
    priority = (
        Priority.HIGH
        if exchange.intent == "complaint"
        else rng.choice([Priority.NONE, Priority.LOW, Priority.MEDIUM])
    )
    inbox_service.update_conversation(
        session,
        principal=principal,
        conversation_id=conversation_id,
        data=ConversationUpdate(
            assignee_id=agent.id,
            team_id=team.id if team else None,
            priority=priority,
            labels=[exchange.intent.replace("_", "-")],
        ),
        now=start + timedelta(minutes=1),
    )
    messages = 1
    at = start
    if fate.answer_after is not None and start + fate.answer_after < now:
        at = start + fate.answer_after
        sent = inbox_service.reply(
            session,
            principal=principal,
            conversation_id=conversation_id,
            data=_answer(inbox, person, exchange.answer.format(**filled), late=fate.answer_after > WINDOW),
            now=at,
        )
        if sent.provider_message_id:
            report = StatusReport(
                provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED
            )
            inbox_service.apply_status(session, inbox_id=inbox.id, report=report)
        messages += 1
        if fate.follow_up and at + timedelta(minutes=20) < now:
            at += timedelta(minutes=rng.randint(5, 180))
            message = inbound(inbox, person, f"Re: {subject}", exchange.follow_up, min(at, now), f"{key}-2")
            inbox_service.receive(session, inbox_id=inbox.id, message=message, now=min(at, now))
            messages += 1
    _finish(session, principal, conversation_id, fate, at, now, rng)
    return received.new_conversation, messages


WINDOW = timedelta(hours=23)  # answered later than this on WhatsApp: the window has closed, a template goes


def _answer(inbox: InboxPublic, person: Person, text: str, *, late: bool) -> ReplyCreate:
    """The agent's answer; on WhatsApp, after the customer service window, the approved follow-up template."""
    if not late or inbox.channel is not MessagingChannel.WHATSAPP:
        return ReplyCreate(text=text)
    first_name = person.name.split()[0]
    template = TemplateMessage(name="support_follow_up", language=person.locale[:2], parameters=[first_name])
    return ReplyCreate(template=template)


def _finish(
    session: Session,
    principal: Principal,
    conversation_id: uuid.UUID,
    fate: _Fate,
    at: datetime,
    now: datetime,
    rng: random.Random,
) -> None:
    if fate.end is ConversationStatus.OPEN:
        return
    data = ConversationUpdate(status=fate.end)
    when = min(at + timedelta(minutes=rng.randint(2, 90)), now)
    if fate.end is ConversationStatus.SNOOZED:
        data = ConversationUpdate(status=fate.end, snoozed_until=now + timedelta(hours=rng.randint(2, 48)))
    inbox_service.update_conversation(
        session, principal=principal, conversation_id=conversation_id, data=data, now=when
    )
