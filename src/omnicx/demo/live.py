"""The demo's live simulation: while the server runs, visitors browse, customers write and buy, stock moves.

A background thread shares the server's runtime (so what the services publish after commit reaches the pages'
SSE streams) and every few seconds makes one small thing happen through the product's services: a visit
(collected like SDK traffic, processed by the worker), a new chat or email, an agent's reply (to the
simulation's own conversations first, then to the queue the seeding left), a conversation resolved once
answered, an order placed by a known visitor (after a look at the product, on the web or the app) or moved one
step, a stock count. An error is logged and the next tick goes on; stopping is immediate.

On the provider channels (SMS, WhatsApp, Messenger, Instagram, Telegram) customers write through the providers'
signed webhooks, posted to the server by the channels' handsets as the providers would; every tick, what the
providers' local stand-ins accepted for them is confirmed delivered and read the same way. A Telegram bot whose
webhook the stand-in has not been told since it started (a restarted demo) is written to directly instead.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.channels import service as channels_service
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import Fulfilment, OfferKind, OrderStatus, SalesChannel
from omnicx.commerce.errors import OutOfStock
from omnicx.commerce.schemas import CustomerRef, LineRequest, OfferCreate, OrderCreate, StockSet
from omnicx.demo.desk import SOCIAL_IDS, inbound, principal_for
from omnicx.demo.providers import SHOP_DISPLAY, SHOP_INSTAGRAM_ID, SHOP_NUMBER, SHOP_PAGE_ID, RunningProviders
from omnicx.demo.texts import LANGUAGES, SCRIPTS
from omnicx.demo.world import ARRIVALS, DEVICES, ITEMS, SHOP, Person, demo_phone
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus, DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic, InboxView, ReplyCreate, StatusReport
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import EventFilter, EventPublic, Received, SourceCreate

log = logging.getLogger(__name__)
LIVE_SOURCE = "Demo live traffic"
TICK_SECONDS = 3.0
NAMES = ("Inès Garnier", "Rizky Pratama", "Martina Roca", "Oliver Grant", "Manon Petit", "Ayu Lestari")
# The shop's id on each provider channel, as the provider names it in what it posts.
SHOP_IDS = {
    MessagingChannel.SMS: SHOP_NUMBER,
    MessagingChannel.WHATSAPP: SHOP_DISPLAY,
    MessagingChannel.MESSENGER: SHOP_PAGE_ID,
    MessagingChannel.INSTAGRAM: SHOP_INSTAGRAM_ID,
    MessagingChannel.TELEGRAM: "",
}


@dataclass
class _State:
    write_key: str = ""
    waiting: list[tuple[uuid.UUID, uuid.UUID]] = field(
        default_factory=list
    )  # (conversation, inbox) to answer
    orders: list[uuid.UUID] = field(default_factory=list)  # orders placed live, still moving
    visitors: int = 0
    known: list[Person] = field(default_factory=list)  # visitors who signed up: the shop's buyers


class Simulation:
    """The running simulation; `stop()` ends it (the current tick finishes first, at most a few seconds)."""

    def __init__(
        self,
        runtime: Runtime,
        workspace_id: uuid.UUID,
        *,
        tick_seconds: float = TICK_SECONDS,
        providers: RunningProviders | None = None,
        server: str = "",
    ) -> None:
        self.runtime = runtime
        self.workspace_id = workspace_id
        self.tick_seconds = tick_seconds
        self.providers = providers
        self.server = server.rstrip("/")
        self.handsets: dict[uuid.UUID, channels_service.Handset] = {}
        self.client = httpx.Client(timeout=10)
        self.rng = random.Random()
        self.state = _State()
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="omnicx-demo-live", daemon=True)

    def start(self) -> Simulation:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds * self.rng.uniform(0.5, 1.5)):
            self.tick()

    def tick(self) -> None:
        """Make one thing happen; never raises (the demo server must outlive any failure here)."""
        actions: list[tuple[Callable[[Session], None], float]] = [
            (self._visit, 40),
            (self._message, 15),
            (self._answer, 15),
            (self._resolve, 12),
            (self._order, 10),
            (self._advance, 6),
            (self._restock, 2),
        ]
        action = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        try:
            with self.runtime.sessions() as session:
                action(session)
        except Exception:
            log.exception("demo live simulation: %s failed; going on", action.__name__)
        try:
            self._confirm()
        except Exception:
            log.exception("demo live simulation: confirming deliveries failed; going on")
        self.ticks += 1

    def _person(self) -> Person:
        self.state.visitors += 1
        number = self.rng.randint(1, 10**6)
        return Person(
            index=number,
            email=f"live{number}@maison-lumiere-clients.example.com",
            user_id=f"live-customer-{number}",
            anonymous_id=f"demo-live-{uuid.uuid4().hex[:12]}",
            name=self.rng.choice(NAMES),
            locale="fr-FR",
            first_known=utcnow(),
            phone=demo_phone(number),
        )

    def _key(self, session: Session) -> str:
        if not self.state.write_key:
            found = tracking_service.find_source(session, workspace_id=self.workspace_id, name=LIVE_SOURCE)
            if found is None:
                created = tracking_service.create_source(
                    session, workspace_id=self.workspace_id, data=SourceCreate(name=LIVE_SOURCE)
                )
            else:
                created = tracking_service.rotate_source(
                    session, workspace_id=self.workspace_id, source_id=found.id
                )
            self.state.write_key = created.write_key
        return self.state.write_key

    def _visit(self, session: Session) -> None:
        """A visitor browses two to five pages, and sometimes signs up (an identified, merged customer)."""
        person = self._person()
        arrival = self.rng.choices(ARRIVALS, weights=[a.weight for a in ARRIVALS])[0]
        device = self.rng.choice(["mobile", "desktop", "tablet"])
        now = utcnow()
        item = self.rng.choice(ITEMS)
        messages: list[object] = []
        for step, path in enumerate(
            ["/", "/collections/lampes", f"/products/{item.sku}"][: self.rng.randint(1, 3)]
        ):
            page = {"url": f"{SHOP}{path}{arrival.query if step == 0 else ''}", "path": path}
            if step == 0 and arrival.referrer:
                page["referrer"] = arrival.referrer
            messages.append(
                {
                    "type": "page",
                    "anonymousId": person.anonymous_id,
                    "messageId": f"{person.anonymous_id}-{step}",
                    "timestamp": (now + timedelta(seconds=step * 20)).isoformat(),
                    "context": {"userAgent": DEVICES[device], "page": page},
                }
            )
        if self.rng.random() < 0.3:
            messages.append(
                {
                    "type": "identify",
                    "anonymousId": person.anonymous_id,
                    "userId": person.user_id,
                    "messageId": f"{person.anonymous_id}-identify",
                    "traits": {"email": person.email, "name": person.name},
                    "timestamp": (now + timedelta(seconds=70)).isoformat(),
                }
            )
            self.state.known.append(person)
        self._collect(session, messages, now)

    def _collect(self, session: Session, messages: list[object], now: datetime) -> None:
        """Send `messages` as an SDK would (the collection API's own function, in its own transaction)."""
        write_key = self._key(session)
        session.commit()  # what was read so far ends here: the collection begins its own transaction
        tracking_service.collect(
            session,
            write_key=write_key,
            messages=messages,
            forced_type=None,
            received=Received(at=now),
            single=False,
        )

    def _handset(self, inbox: InboxPublic) -> channels_service.Handset | None:
        """The handset posting to `inbox` as its provider would, if the demo's providers hold its account."""
        if inbox.id in self.handsets:
            return self.handsets[inbox.id]
        if self.providers is None or not self.server or inbox.channel not in SHOP_IDS:
            return None
        account = dict(self.providers.accounts[inbox.channel])
        if inbox.channel is MessagingChannel.TELEGRAM:
            account |= channels_service.telegram_webhook(self.providers.telegram, account["bot_token"])
            if not account["webhook_url"]:
                return None  # not told since the stand-in started: written to directly
        handset = channels_service.Handset(
            channel=inbox.channel,
            inbox_id=inbox.id,
            account=account,
            server=self.server,
            base_url=self.runtime.settings.base_url,
            client=self.client,
        )
        self.handsets[inbox.id] = handset
        return handset

    def _confirm(self) -> None:
        """The customers' phones confirm what the providers' stand-ins accepted for them: delivered, then read."""
        if self.providers is None:
            return
        simulators = {
            MessagingChannel.SMS: self.providers.twilio,
            MessagingChannel.WHATSAPP: self.providers.whatsapp,
            MessagingChannel.MESSENGER: self.providers.meta,
            MessagingChannel.INSTAGRAM: self.providers.meta,
        }
        for handset in list(self.handsets.values()):
            if handset.channel in simulators:
                handset.confirm(simulators[handset.channel], shop=SHOP_IDS[handset.channel])

    def _message(self, session: Session) -> None:
        """A customer writes on one of the inboxes, in one of the four languages."""
        inboxes = inbox_service.list_inboxes(session, workspace_id=self.workspace_id)
        if not inboxes:
            return
        inbox = self.rng.choice(inboxes)
        exchange = self.rng.choice(SCRIPTS[self.rng.choice(LANGUAGES)])
        filled = {"order": f"ML-{self.rng.randint(10000, 99999)}", "product": self.rng.choice(ITEMS).product}
        person = self._person()
        handset = self._handset(inbox)
        if handset is not None:
            self._write(session, inbox, handset, person, exchange.opening.format(**filled))
            return
        message = inbound(
            inbox,
            person,
            exchange.subject.format(**filled),
            exchange.opening.format(**filled),
            utcnow(),
            f"live-{uuid.uuid4().hex}",
        )
        received = inbox_service.receive(session, inbox_id=inbox.id, message=message)
        self.state.waiting.append((received.conversation_id, inbox.id))

    def _write(
        self,
        session: Session,
        inbox: InboxPublic,
        handset: channels_service.Handset,
        person: Person,
        text: str,
    ) -> None:
        """The customer writes from their phone or social account: through the provider's signed webhook."""
        channel_id = (
            str(SOCIAL_IDS[inbox.channel] + person.index) if inbox.channel in SOCIAL_IDS else person.phone
        )
        if self.providers is not None and inbox.channel in (
            MessagingChannel.MESSENGER,
            MessagingChannel.INSTAGRAM,
        ):
            first, _, last = person.name.partition(" ")
            profile = {"first_name": first, "last_name": last, "name": person.name, "username": first.lower()}
            self.providers.meta.profiles[channel_id] = profile  # what Meta shows the shop of its customers
        session.rollback()  # the server's request stores the message: this thread holds nothing meanwhile
        handset.write(channels_service.Customer(channel_id, person.name), text, shop=SHOP_IDS[inbox.channel])
        history = inbox_service.contact_messages(session, inbox_id=inbox.id, source_id=channel_id, limit=1)
        if history:
            self.state.waiting.append((history[-1].conversation_id, inbox.id))

    def _agent(self, session: Session) -> Principal:
        members = auth_service.list_members(session, workspace_id=self.workspace_id)
        return principal_for(self.workspace_id, next(m for m in members if m.role is Role.AGENT))

    def _answer(self, session: Session) -> None:
        """An agent answers the oldest conversation the simulation opened, else the most urgent one waiting in
        the inbox (the seeded world's queue moves too)."""
        principal = self._agent(session)
        if self.state.waiting:
            conversation_id, inbox_id = self.state.waiting.pop(0)
        else:
            view = InboxView(status=ConversationStatus.OPEN, limit=20)
            queue = inbox_service.list_conversations(session, principal=principal, view=view)
            waiting = [c for c in queue if c.waiting_since is not None]
            if not waiting:
                return
            conversation_id, inbox_id = waiting[0].id, waiting[0].inbox_id
        if self.rng.random() < 0.25:  # sometimes the answer sells: a product card from the catalogue
            item = self.rng.choice(ITEMS)
            offer = OfferCreate(kind=OfferKind.PRODUCT, lines=[LineRequest(sku=item.sku, quantity=1)])
            commerce_service.send_offer(
                session,
                principal=principal,
                conversation_id=conversation_id,
                data=offer,
                base_url=self.runtime.settings.base_url,
            )
            return
        language = self.rng.choice(LANGUAGES)
        text = self.rng.choice(SCRIPTS[language]).answer.format(order="ML-20431", product=ITEMS[0].product)
        sent = inbox_service.reply(
            session, principal=principal, conversation_id=conversation_id, data=ReplyCreate(text=text)
        )
        if sent.provider_message_id and inbox_id not in self.handsets:
            # Chat and email have no provider callbacks: the demo's customers confirm at once.
            report = StatusReport(
                provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED
            )
            inbox_service.apply_status(session, inbox_id=inbox_id, report=report)

    def _resolve(self, session: Session) -> None:
        """An agent closes a conversation that was answered and has nothing waiting: one the customer left
        pending, or an open one whose last word is the agent's."""
        principal = self._agent(session)
        done: list[uuid.UUID] = []
        for status in (ConversationStatus.PENDING, ConversationStatus.OPEN):
            view = InboxView(status=status, limit=50)
            listed = inbox_service.list_conversations(session, principal=principal, view=view)
            done += [c.id for c in listed if c.first_reply_at is not None and c.waiting_since is None]
        if not done:
            return
        inbox_service.update_conversation(
            session,
            principal=principal,
            conversation_id=self.rng.choice(done),
            data=ConversationUpdate(status=ConversationStatus.RESOLVED),
        )

    def _buyer(self, session: Session) -> Person | None:
        """A known visitor of the shop: one the simulation saw sign up, or one of the seeded world's (their
        sign-ups are `identify` events); None when nobody signed up yet."""
        if self.state.known and self.rng.random() < 0.5:
            return self.rng.choice(self.state.known)
        signups = tracking_service.list_events(
            session, workspace_id=self.workspace_id, filters=EventFilter(type="identify"), limit=200
        ).items
        known = [e for e in signups if e.user_id and e.anonymous_id and _traits(e).get("email")]
        if not known:
            return self.rng.choice(self.state.known) if self.state.known else None
        event = self.rng.choice(known)
        traits = _traits(event)
        return Person(
            index=self.rng.randint(1, 10**6),
            email=str(traits["email"]),
            user_id=str(event.user_id),
            anonymous_id=str(event.anonymous_id),
            name=str(traits.get("name") or ""),
            locale="fr-FR",
            first_known=event.timestamp,
        )

    def _order(self, session: Session) -> None:
        """A known visitor buys: on the web shop or the app after a look at the product (a visit collected like
        SDK traffic), or in a store; a sold-out item is simply not bought."""
        buyer = self._buyer(session)
        if buyer is None:
            return
        channel = self.rng.choice([SalesChannel.WEB, SalesChannel.APP, SalesChannel.STORE])
        pickup = channel is SalesChannel.STORE or self.rng.random() < 0.3
        stores = [
            loc
            for loc in commerce_service.list_locations(session, workspace_id=self.workspace_id)
            if loc.pickup
        ]
        item = self.rng.choice(ITEMS)
        now = utcnow()
        if channel is not SalesChannel.STORE:
            self._checkout(session, buyer, item.sku, item.price_minor, now)
        data = OrderCreate(
            lines=[LineRequest(sku=item.sku, quantity=1)],
            channel=channel,
            fulfilment=Fulfilment.PICKUP if pickup else Fulfilment.SHIP,
            location_id=self.rng.choice(stores).id if channel is SalesChannel.STORE and stores else None,
            customer=CustomerRef(email=buyer.email, user_id=buyer.user_id),
        )
        actor = {SalesChannel.STORE: "Store till", SalesChannel.APP: "Mobile app"}.get(channel, "Web shop")
        try:
            order = commerce_service.place_order(
                session, workspace_id=self.workspace_id, data=data, actor=actor, now=now
            )
        except OutOfStock:
            return
        self.state.orders.append(order.id)

    def _checkout(self, session: Session, buyer: Person, sku: str, price_minor: int, now: datetime) -> None:
        """The buyer's last look at the product and their checkout, signed in, a minute before the order."""
        start = now - timedelta(minutes=1)
        tag = uuid.uuid4().hex[:8]
        common = {"anonymousId": buyer.anonymous_id, "userId": buyer.user_id}
        page = {"url": f"{SHOP}/products/{sku}", "path": f"/products/{sku}"}
        properties = {"value": price_minor / 100, "currency": "EUR", "products": [{"sku": sku}]}
        messages: list[object] = [
            {
                **common,
                "type": "page",
                "messageId": f"{buyer.anonymous_id}-{tag}-product",
                "timestamp": start.isoformat(),
                "context": {"userAgent": DEVICES["desktop"], "page": page},
            },
            {
                **common,
                "type": "track",
                "event": "Checkout Started",
                "messageId": f"{buyer.anonymous_id}-{tag}-checkout",
                "timestamp": (start + timedelta(seconds=40)).isoformat(),
                "properties": properties,
            },
        ]
        self._collect(session, messages, now)

    def _advance(self, session: Session) -> None:
        """Move one live order a step along its timeline (payment, preparation, shipping or pickup)."""
        if not self.state.orders:
            return
        order_id = self.rng.choice(self.state.orders)
        order = commerce_service.get_order(session, workspace_id=self.workspace_id, order_id=order_id)
        forward = [s for s in order.next_statuses if s not in (OrderStatus.CANCELLED, OrderStatus.RETURNED)]
        if not forward:
            self.state.orders.remove(order_id)
            return
        target = forward[0]
        code = None
        if target is OrderStatus.PICKED_UP:
            code = commerce_service.pickup_code(session, workspace_id=self.workspace_id, order_id=order_id)
        commerce_service.change_status(
            session,
            workspace_id=self.workspace_id,
            order_id=order_id,
            status=target,
            actor="Store staff",
            pickup_code=code,
        )

    def _restock(self, session: Session) -> None:
        """A store counts a shelf: a delivery came in, or a few units were found missing."""
        rows = commerce_service.list_stock(session, workspace_id=self.workspace_id)
        if not rows:
            return
        row = self.rng.choice(rows)
        counted = max(row.on_hand + self.rng.choice([-2, -1, 5, 10]), row.allocated + row.reserved, 0)
        commerce_service.set_stock(
            session,
            workspace_id=self.workspace_id,
            data=StockSet(sku=row.sku, location_id=row.location_id, on_hand=counted),
        )


def _traits(event: EventPublic) -> dict[str, object]:
    traits = event.payload.get("traits")
    return traits if isinstance(traits, dict) else {}


def start_live(
    runtime: Runtime, workspace_id: uuid.UUID, *, providers: RunningProviders | None = None, server: str = ""
) -> Simulation:
    """Start the simulation on the server's runtime; returns it (call `stop()` on shutdown). With the demo's
    `providers` and the `server`'s address, customers on the provider channels write through the webhooks."""
    return Simulation(runtime, workspace_id, providers=providers, server=server).start()
