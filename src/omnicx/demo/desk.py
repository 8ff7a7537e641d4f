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
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.schemas import MemberPublic, TeamPublic
from omnicx.demo import ratings, rhythm
from omnicx.demo.providers import ADDRESSES
from omnicx.demo.texts import LANGUAGES, LOCALE_LANGUAGE, SCRIPTS, Exchange
from omnicx.demo.world import ITEMS, TIMEZONE, Person
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus, DeliveryStatus, MessagingChannel, Priority
from omnicx.inbox.schemas import (
    CannedResponseCreate,
    ConversationUpdate,
    InboundMessage,
    InboxCreate,
    InboxPublic,
    ReceiveResult,
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


def owner_of(session: Session, workspace_id: uuid.UUID) -> Principal:
    """The workspace owner, as the seeding acts."""
    members = auth_service.list_members(session, workspace_id=workspace_id)
    return principal_for(workspace_id, next(m for m in members if m.role is Role.OWNER))


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
    ratings.ask_everywhere(session, owner, [i.id for i in inboxes])
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
    """How a conversation unfolded by `now`: when the agent answered (None: not yet), when the customer wrote
    back (None: they did not, or not yet), and where it stands, since when."""

    answered: datetime | None
    follow_up: datetime | None
    end: ConversationStatus
    ended: datetime | None  # when it reached `end` (None: open, as it was received)
    snoozed_until: datetime | None = None


def _fate(rng: random.Random, start: datetime, now: datetime) -> _Fate:
    """The conversation's whole course drawn at once (agents answer and close during their working hours,
    most within the hour, some the next day), then cut at `now`: an old conversation is resolved, a recent one
    may still wait for its answer, for the customer's confirmation (pending) or a date (snoozed)."""
    zone = ZoneInfo(TIMEZONE)
    late = rng.random() < 0.2
    delay = timedelta(hours=rng.uniform(3, 26)) if late else timedelta(minutes=rng.uniform(2, 80))
    answered = rhythm.on_duty(start + delay, rng, zone=zone)
    follow_up = answered + timedelta(minutes=rng.uniform(5, 240)) if rng.random() < 0.55 else None
    last = follow_up or answered
    # Most are closed once answered; some only after the customer confirms, hours later.
    quick = rng.random() < 0.7
    settle = timedelta(minutes=rng.uniform(2, 90)) if quick else timedelta(hours=rng.uniform(3, 30))
    resolved = rhythm.on_duty(last + settle, rng, zone=zone)
    kept = rng.random() < 0.55  # recent: left pending or snoozed a while, whatever the agent meant to do
    snooze = rng.random() < 0.3
    if answered >= now:
        return _Fate(None, None, ConversationStatus.OPEN, None)
    if follow_up is not None and follow_up >= now:
        follow_up = None
    if resolved < now and not (kept and now - start < timedelta(days=rhythm.RECENT_DAYS)):
        return _Fate(answered, follow_up, ConversationStatus.RESOLVED, resolved)
    if follow_up is not None and resolved >= now:
        return _Fate(answered, follow_up, ConversationStatus.OPEN, None)  # the customer's answer waits
    ended = min((follow_up or answered) + timedelta(minutes=rng.uniform(2, 30)), now)
    if snooze:
        until = now + timedelta(hours=rng.randint(2, 48))
        return _Fate(answered, follow_up, ConversationStatus.SNOOZED, ended, until)
    return _Fate(answered, follow_up, ConversationStatus.PENDING, ended)


def _starts(
    rng: random.Random, zones: Sequence[ZoneInfo], *, count: int, days: int, now: datetime
) -> list[tuple[datetime, int]]:
    """When each of `count` conversations starts, with its number (`zones[number % len(zones)]` is where its
    writer lives), in the order they start: spread over the `days` before `now` with the weekly rhythm
    (`rhythm.contact_weight`), in the writer's daytime; never in the last ten minutes."""
    zone = ZoneInfo(TIMEZONE)
    last = now.astimezone(zone).date()
    first = last - timedelta(days=days - 1)
    weight = partial(rhythm.contact_weight, first=first, last=last)
    starts: list[tuple[datetime, int]] = []
    for number, day in enumerate(rhythm.spread_days(rng, count=count, first=first, last=last, weight=weight)):
        writer = zones[number % len(zones)]
        at = rhythm.at_local_hour(rng, day, writer, rhythm.CONTACT_HOURS)
        for _ in range(12):  # today: an hour already past
            if at < now - timedelta(minutes=10):
                break
            at = rhythm.at_local_hour(rng, day, writer, rhythm.CONTACT_HOURS)
        else:  # too early in the day yet: the day before
            at = rhythm.at_local_hour(rng, day - timedelta(days=1), writer, rhythm.CONTACT_HOURS)
        starts.append((min(at, now - timedelta(minutes=10)), number))
    return sorted(starts)


def _writer(rng: random.Random, people: Sequence[Person], start: datetime) -> Person:
    """One of `people` (sorted by when they became known) who was known to the shop by `start`."""
    known = bisect_right([p.first_known for p in people], start)
    return rng.choice(people[:known] or people)


AGAIN = 0.15  # share of conversations started by a customer who wrote in the week before
AGAIN_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class _Wrote:
    at: datetime
    language: int
    person: Person
    inbox: InboxPublic


def _again(
    rng: random.Random, recent: list[_Wrote], start: datetime, language: int, inbox: InboxPublic
) -> Person | None:
    """Sometimes, a customer who wrote in the week before, in this conversation's language and inbox, writes
    again (the order is still late, the refund has not come). Language and inbox stay as drawn, so every inbox
    still hears every language."""
    if rng.random() >= AGAIN:
        return None
    candidates = [
        w.person
        for w in recent
        if w.language == language and w.inbox.id == inbox.id and start - w.at <= AGAIN_WITHIN
    ]
    return rng.choice(candidates) if candidates else None


def seed_conversations(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    people: Sequence[Person],
    count: int,
    days: int,
    now: datetime,
    seed: int,
    base_url: str = "",
    secret_key: str = "",
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Write `count` conversations spread over the inboxes and the four languages, and over the period with the
    weekly rhythm; returns how many conversations were opened and messages written (a customer writing again
    may continue an active one)."""
    if not people:
        return 0, 0
    rng = random.Random(seed + 2)
    rating_rng = random.Random(seed + 9)  # apart: the rest of the world stays as it was without ratings
    # Who writes again within the week, on the channel they used (contact reasons' repeat contacts).
    again_rng = random.Random(seed + 10)
    recent: list[_Wrote] = []
    inboxes = inbox_service.list_inboxes(session, workspace_id=workspace_id)
    members = auth_service.list_members(session, workspace_id=workspace_id)
    agents = [m for m in members if m.role in (Role.AGENT, Role.ADMIN)]
    teams = auth_service.list_teams(session, workspace_id=workspace_id)
    by_language: dict[str, list[Person]] = {language: [] for language in LANGUAGES}
    for person in sorted(people, key=lambda p: p.first_known):
        by_language[LOCALE_LANGUAGE.get(person.locale, "en")].append(person)
    writers = [by_language[language] or list(people) for language in LANGUAGES]
    zones = [rhythm.zone_of(group[0].locale) for group in writers]
    opened = messages = 0
    # Conversation `number` is in the `number`-th language and inbox in turn (every inbox hears every
    # language); they are written in the order they start, so a customer writing again finds their earlier one.
    for done, (start, number) in enumerate(_starts(rng, zones, count=count, days=days, now=now), start=1):
        language = LANGUAGES[number % len(LANGUAGES)]
        inbox = inboxes[(number // len(LANGUAGES)) % len(inboxes)]
        person = _writer(rng, writers[number % len(LANGUAGES)], start)
        person = _again(again_rng, recent, start, number % len(LANGUAGES), inbox) or person
        recent.append(_Wrote(start, number % len(LANGUAGES), person, inbox))
        exchange = rng.choice(SCRIPTS[language])
        agent = rng.choice(agents)
        team = rng.choice(teams) if teams else None
        fate = _fate(rng, start, now)
        new, written = _conversation(session, inbox, person, exchange, agent, team, start, fate, rng)
        if fate.end is ConversationStatus.RESOLVED and fate.ended is not None and fate.answered is not None:
            ratings.rate(
                session,
                workspace_id=inbox.workspace_id,
                conversation_id=new.conversation_id,
                resolved_at=fate.ended,
                quick=fate.answered - start < timedelta(hours=1),
                now=now,
                base_url=base_url,
                secret=secret_key,
                rng=rating_rng,
            )
        opened += new.new_conversation
        messages += written
        if on_progress and (done % 20 == 0 or done == count):
            on_progress(done, count)
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
    rng: random.Random,
) -> tuple[ReceiveResult, int]:
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
    if fate.answered is not None:
        sent = inbox_service.reply(
            session,
            principal=principal,
            conversation_id=conversation_id,
            data=_answer(
                inbox, person, exchange.answer.format(**filled), late=fate.answered - start > WINDOW
            ),
            now=fate.answered,
        )
        if sent.provider_message_id:
            report = StatusReport(
                provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED
            )
            inbox_service.apply_status(session, inbox_id=inbox.id, report=report)
        messages += 1
    if fate.follow_up is not None:
        message = inbound(inbox, person, f"Re: {subject}", exchange.follow_up, fate.follow_up, f"{key}-2")
        inbox_service.receive(session, inbox_id=inbox.id, message=message, now=fate.follow_up)
        messages += 1
    _finish(session, principal, conversation_id, fate)
    return received, messages


WINDOW = timedelta(hours=23)  # answered later than this on WhatsApp: the window has closed, a template goes


def _answer(inbox: InboxPublic, person: Person, text: str, *, late: bool) -> ReplyCreate:
    """The agent's answer; on WhatsApp, after the customer service window, the approved follow-up template."""
    if not late or inbox.channel is not MessagingChannel.WHATSAPP:
        return ReplyCreate(text=text)
    first_name = person.name.split()[0]
    template = TemplateMessage(name="support_follow_up", language=person.locale[:2], parameters=[first_name])
    return ReplyCreate(template=template)


def _finish(session: Session, principal: Principal, conversation_id: uuid.UUID, fate: _Fate) -> None:
    if fate.ended is None:
        return
    data = ConversationUpdate(status=fate.end)
    if fate.end is ConversationStatus.SNOOZED:
        data = ConversationUpdate(status=fate.end, snoozed_until=fate.snoozed_until)
    inbox_service.update_conversation(
        session, principal=principal, conversation_id=conversation_id, data=data, now=fate.ended
    )
