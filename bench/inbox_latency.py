"""Benchmark: how fast a message crosses omnicx's inbox, end to end, and how fast the inbox lists stay.

    python bench/inbox_latency.py                          # every part, embedded SQLite
    python bench/inbox_latency.py --part chat --chat-seconds 60 --rate 200
    OMNICX_DATABASE_URL=postgresql://127.0.0.1:5432/bench python bench/inbox_latency.py --emails 500

Measured on loopback:
    email     smtplib sends to omnicx's built-in SMTP server -> the server answers 250 only after the message
              is committed as a conversation message (so the SMTP round trip is the ingest latency);
              an agent's reply is committed -> a worker thread delivers it -> it reaches a local SMTP sink.
    chat      a real `omnicx serve` process (its own interpreter) runs omnicx; after an untimed warm-up from other
              visitors, 100 visitors POST to the chat widget's API at --rate messages/s for --chat-seconds while
              an agent's SSE stream (/api/v1/realtime/stream, Bearer token) is open; latency = the moment the
              message was due to be sent (so a server falling behind is charged for the queue) -> its
              `inbox.message.created` received on the stream. The load generator posts from --clients threads
              with the standard library's HTTP client (cheap per request: on a small machine the generator's
              CPU is CPU the server does not get). Also prints the server's and the generator's CPU time per
              message (Linux) and the latency broken down: due -> sent (waiting for a free client), sent ->
              answered (the server stored and committed it), answered -> received on the stream.
    list      100,000 conversations (with contacts and one message each) are bulk-inserted, then the inbox
              list is timed through the service and through the REST API: the default view (open, most
              urgent first), unassigned, one channel, and a full-text search.

Targets: inbound email p95 under 150 ms, reply-to-delivered p95 under 1.5 s (the worker polls every 0.5 s by
default; set --poll), chat -> agent p99 <= 100 ms, inbox list p95 <= 300 ms on 100,000 conversations.
No peer runs here: Chatwoot and Zammad need their own stacks.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert

from omnicx.app.migrations import upgrade_to_head
from omnicx.app.wiring import wire
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate
from omnicx.channels.email.server import start_smtp_server
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus, MessageKind, MessagingChannel, Priority
from omnicx.inbox.models import Contact, Conversation, Message
from omnicx.inbox.schemas import InboxCreate, InboxView, ReplyCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import new_id
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.jobs.worker import start_worker_thread
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from omnicx.ownership import service as ownership_service
from omnicx.ownership.enums import ClaimKind


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.event = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.event:
                    self.arrived[line.split(b":", 1)[1].strip().decode()] = time.perf_counter()
                    self.event.notify_all()
        return "250 OK"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def email_part(args: argparse.Namespace, runtime: Runtime, settings: Settings, owner: Principal) -> None:
    with runtime.sessions() as session:
        # The bench's workspace proves its domain as any does (its TXT record in the bench's own DNS).
        claim = ownership_service.start_claim(
            session, principal=owner, kind=ClaimKind.EMAIL_DOMAIN, value="bench.example.com"
        )
        assert isinstance(runtime.resolver, StaticResolver) and claim.dns_record
        runtime.resolver.txt("bench.example.com", claim.dns_record)
        ownership_service.check_dns(session, principal=owner, claim_id=claim.id, resolver=runtime.resolver)
        inbox_service.create_inbox(
            session,
            principal=owner,
            data=InboxCreate(
                channel=MessagingChannel.EMAIL, name="Support", address="support@bench.example.com"
            ),
            secret_key=runtime.settings.resolved_secret_key,
        )
    sink = Sink()
    port = free_port()
    server = start_smtp_server(runtime, host="127.0.0.1", port=port)
    sink_controller = Controller(sink, hostname="127.0.0.1", port=settings.smtp_outbound_port)
    sink_controller.start()
    worker_thread, stop = start_worker_thread(runtime)
    try:
        inbound: list[float] = []
        with smtplib.SMTP("127.0.0.1", port) as client:
            for n in range(args.emails):
                email = EmailMessage()
                email["From"] = f"customer{n % 50}@example.com"
                email["To"] = "support@bench.example.com"
                email["Subject"] = f"Question {n}"
                email["Message-ID"] = f"<bench-{n}@example.com>"
                email.set_content(f"Hello, question number {n}.")
                started = time.perf_counter()
                client.send_message(email)
                inbound.append(time.perf_counter() - started)
        with runtime.sessions() as session:
            conversations = inbox_service.list_conversations(
                session, principal=owner, view=InboxView(limit=500, channel=MessagingChannel.EMAIL)
            )
        replies: list[float] = []
        for conversation in conversations[: args.replies]:
            started = time.perf_counter()
            with runtime.sessions() as session:
                sent = inbox_service.reply(
                    session,
                    principal=owner,
                    conversation_id=conversation.id,
                    data=ReplyCreate(text="Thanks!"),
                )
            with sink.event:
                sink.event.wait_for(lambda sent=sent: sent.provider_message_id in sink.arrived, timeout=30)
            replies.append(sink.arrived[sent.provider_message_id or ""] - started)
        print(f"email ({args.emails} inbound emails, {len(replies)} replies)")
        print(
            f"  inbound email -> committed   p50 {pct(inbound, 0.5):7.1f} ms   p95 {pct(inbound, 0.95):7.1f} ms"
        )
        print(
            f"  reply -> delivered to SMTP   p50 {pct(replies, 0.5):7.1f} ms   p95 {pct(replies, 0.95):7.1f} ms"
        )
        print(f"  inbound throughput           {args.emails / sum(inbound):7.1f} emails/s (one connection)")
        print(f"  mean inbound                 {statistics.mean(inbound) * 1000:7.1f} ms")
    finally:
        stop.set()
        worker_thread.join(timeout=10)
        server.stop()
        sink_controller.stop()


class HttpServer:
    """A real `omnicx serve` process on a loopback port against the benchmark's database (its own
    interpreter, so the load generator in this process never competes with it for the GIL)."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "OMNICX_DATABASE_URL": settings.resolved_database_url,
            "OMNICX_DATA_DIR": str(settings.data_dir),
            "OMNICX_SECRET_KEY": settings.secret_key or "bench",
            "OMNICX_ENVIRONMENT": "test",
            # Every simulated visitor posts from this machine's one address: measured is latency, not limits.
            "OMNICX_RATE_LIMITS_ENABLED": "false",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HttpServer:
        command = [sys.executable, "-m", "omnicx", "serve", "--port", str(self.port), "--no-worker"]
        self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("omnicx serve did not start")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server process has used so far; None where /proc is unavailable."""
        if self.process is None:
            return None
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class AgentStream:
    """An agent's SSE connection: records when each `inbox.message.created` event arrives, by message id."""

    def __init__(self, url: str, token: str) -> None:
        self.url = f"{url}/api/v1/realtime/stream?topics=inbox.message"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with (
            httpx.Client(timeout=None) as client,
            client.stream("GET", self.url, headers=self.headers) as resp,
        ):
            topic = ""
            for line in resp.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith(":"):
                    self.ready.set()
                elif line.startswith("event:"):
                    topic = line[6:].strip()
                elif line.startswith("data:") and topic == "inbox.message.created":
                    data = json.loads(line[5:]).get("data", {})
                    self.arrived.setdefault(str(data.get("message_id")), time.perf_counter())

    def __enter__(self) -> AgentStream:
        self.thread.start()
        if not self.ready.wait(15):
            raise RuntimeError("the agent's SSE stream did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()


def chat_part(args: argparse.Namespace, runtime: Runtime, owner: Principal) -> None:
    with runtime.sessions() as session:
        inbox = inbox_service.create_inbox(
            session,
            principal=owner,
            data=InboxCreate(channel=MessagingChannel.CHAT, name="Site chat"),
            secret_key=runtime.settings.resolved_secret_key,
        )
        token = auth_service.create_token(
            session, workspace_id=owner.workspace_id, name="bench-agent", role=Role.AGENT
        ).secret
    total = int(args.rate * args.chat_seconds)
    errors: list[str] = []
    phases: dict[str, tuple[float, float]] = {}
    local = threading.local()

    def client() -> http.client.HTTPConnection:
        # The standard library's client: a fraction of httpx's CPU per request, which on a small machine is CPU
        # taken from the server under test. One keep-alive connection per client thread.
        if not hasattr(local, "client"):
            local.client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        found: http.client.HTTPConnection = local.client
        return found

    def send(connection: http.client.HTTPConnection, body: str) -> tuple[http.client.HTTPResponse, bytes]:
        connection.request("POST", f"/chat/{inbox.address}/messages", body=body)
        response = connection.getresponse()
        return response, response.read()

    def post(visitor: dict[str, str], n: int, sent: dict[str, float], started: float) -> None:
        # `started` is when the message was due to be sent, not when a client thread got to it: a server that
        # falls behind makes messages wait for a free client, and that wait counts.
        body = json.dumps({**visitor, "text": f"Hello number {n}", "client_id": f"c{n}"})
        posted = time.perf_counter()
        try:
            response, answer = send(client(), body)
        except (http.client.HTTPException, ConnectionError):
            local.client.close()  # the server closed an idle keep-alive connection: once more on a new one
            del local.client
            response, answer = send(client(), body)
        if response.status != 201:
            errors.append(f"{response.status} {answer[:200]!r}")
            return
        message_id = json.loads(answer)["message_id"]
        sent[message_id] = started
        phases[message_id] = (posted, time.perf_counter())

    def paced(
        pool: ThreadPoolExecutor, visitors: list[dict[str, str]], count: int, first: int
    ) -> tuple[dict[str, float], float]:
        """Send `count` messages at --rate, round-robin over `visitors`; wait for the answers and the stream."""
        sent: dict[str, float] = {}
        interval = 1 / args.rate
        begin = time.perf_counter()
        futures = []
        for n in range(count):
            delay = begin + n * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(
                pool.submit(post, visitors[n % len(visitors)], first + n, sent, begin + n * interval)
            )
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - begin
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(m not in agent.arrived for m in sent):
            time.sleep(0.05)
        return sent, elapsed

    def new_visitors(setup: httpx.Client, count: int) -> list[dict[str, str]]:
        return [setup.post(f"/chat/{inbox.address}/session", content="{}").json() for _ in range(count)]

    with (
        HttpServer(runtime.settings) as server,
        AgentStream(server.url, token) as agent,
        ThreadPoolExecutor(max_workers=args.clients) as pool,
    ):
        with httpx.Client(base_url=server.url) as setup:
            warm_visitors, visitors = new_visitors(setup, 20), new_visitors(setup, 100)
        # Untimed warm-up on other visitors: a just-started server imports and compiles on its first requests,
        # and the load generator opens its connections. The timed visitors still start new conversations.
        paced(pool, warm_visitors, int(args.rate * args.warmup_seconds), first=total)
        server_cpu, own_cpu = server.cpu_seconds(), time.process_time()
        sent, elapsed = paced(pool, visitors, total, first=0)
        server_after = server.cpu_seconds()
        own_cpu = time.process_time() - own_cpu
        latencies = [agent.arrived[m] - t for m, t in sent.items() if m in agent.arrived]
    missing = len(sent) - len(latencies)
    print(
        f"chat -> agent SSE ({total} messages at {args.rate:g}/s requested, {len(sent) / elapsed:.0f}/s achieved,"
        f" after a {args.warmup_seconds:g} s warm-up)"
    )
    if latencies:
        p99 = pct(latencies, 0.99)
        print(
            f"  POST -> SSE received         p50 {pct(latencies, 0.5):7.1f} ms   p95 {pct(latencies, 0.95):7.1f} ms"
            f"   p99 {p99:7.1f} ms   (target p99 <= 100 ms: {p99 / 100:.2f}x the target)"
        )
    if server_cpu is not None and server_after is not None and sent:
        print(
            f"  CPU per message               server {(server_after - server_cpu) / len(sent) * 1000:5.2f} ms"
            f"   load generator + SSE reader {own_cpu / len(sent) * 1000:5.2f} ms"
        )
    if args.timeline and latencies:
        pairs = sorted((t, agent.arrived[m] - t) for m, t in sent.items() if m in agent.arrived)
        for second in range(int(pairs[-1][0] - pairs[0][0]) + 1):
            chunk = [lat for t, lat in pairs if second <= t - pairs[0][0] < second + 1]
            if chunk:
                print(
                    f"    second {second:3d}: {len(chunk):4d} messages   p50 {pct(chunk, 0.5):7.1f} ms"
                    f"   max {max(chunk) * 1000:7.1f} ms"
                )
        for label, part in (
            ("due -> POST sent", lambda m, t: phases[m][0] - t),
            ("POST sent -> answered", lambda m, t: phases[m][1] - phases[m][0]),
            ("answered -> SSE received", lambda m, t: agent.arrived[m] - phases[m][1]),
        ):
            values = [part(m, t) for m, t in sent.items() if m in agent.arrived]
            print(f"  {label:26s} p50 {pct(values, 0.5):7.1f} ms   p99 {pct(values, 0.99):7.1f} ms")
    print(
        f"  errors {len(errors)}, not received {missing}" + (f"; first error: {errors[0]}" if errors else "")
    )


WORDS = ("order", "refund", "parcel", "lamp", "kettle", "invoice", "delivery", "size", "colour", "discount")


def seed_conversations(runtime: Runtime, owner: Principal, count: int) -> float:
    """Bulk-insert `count` conversations (one contact and one inbound message each); returns seconds taken."""
    started = time.perf_counter()
    with runtime.sessions() as session:
        inboxes = [
            inbox_service.create_inbox(
                session,
                principal=owner,
                data=InboxCreate(channel=channel, name=f"Seed {channel.value}")
                if channel is MessagingChannel.CHAT
                else InboxCreate(channel=channel, name="Seed email", address="seed@bench.example.com"),
                secret_key=runtime.settings.resolved_secret_key,
            )
            for channel in (MessagingChannel.CHAT, MessagingChannel.EMAIL)
        ]
        members = [m.id for m in auth_service.list_members(session, workspace_id=owner.workspace_id)]
    rng = random.Random(7)
    now = datetime.now(UTC)
    statuses = (
        [ConversationStatus.OPEN] * 4
        + [ConversationStatus.PENDING] * 2
        + [
            ConversationStatus.SNOOZED,
            *[ConversationStatus.RESOLVED] * 3,
        ]
    )
    batch = 5000
    with runtime.engine.begin() as conn:
        for offset in range(0, count, batch):
            contacts, conversations, messages = [], [], []
            for n in range(offset, min(count, offset + batch)):
                inbox = inboxes[n % 2]
                contact_id, conversation_id = new_id(), new_id()
                created = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
                status = rng.choice(statuses)
                word = rng.choice(WORDS)
                text = f"Question {n} about my {word}"
                contacts.append(
                    {
                        "id": contact_id,
                        "workspace_id": owner.workspace_id,
                        "inbox_id": inbox.id,
                        "source_id": f"seed-{n}@example.com",
                        "name": f"Customer {n}",
                        "email": f"seed-{n}@example.com",
                        "created_at": created,
                    }
                )
                conversations.append(
                    {
                        "id": conversation_id,
                        "workspace_id": owner.workspace_id,
                        "inbox_id": inbox.id,
                        "contact_id": contact_id,
                        "open_contact_id": None if status is ConversationStatus.RESOLVED else contact_id,
                        "subject": f"About my {word}",
                        "status": status,
                        "priority": rng.choice(list(Priority)),
                        "assignee_id": rng.choice([None, None, *members]),
                        "labels": {"labels": []},
                        "waiting_since": created,
                        "last_message_at": created,
                        "first_response_due_at": created + timedelta(hours=2),
                        "resolved_at": created + timedelta(hours=3)
                        if status is ConversationStatus.RESOLVED
                        else None,
                        "search_text": f"customer {n} seed-{n}@example.com about my {word} {text.lower()}",
                        "sla_notified": {},
                        "intent_detail": {},
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                messages.append(
                    {
                        "id": new_id(),
                        "workspace_id": owner.workspace_id,
                        "inbox_id": inbox.id,
                        "conversation_id": conversation_id,
                        "kind": MessageKind.INCOMING,
                        "author_label": f"Customer {n}",
                        "text": text,
                        "attachments": {},
                        "references": {},
                        "created_at": created,
                    }
                )
            conn.execute(insert(Contact), contacts)
            conn.execute(insert(Conversation), conversations)
            conn.execute(insert(Message), messages)
    return time.perf_counter() - started


def list_part(args: argparse.Namespace, runtime: Runtime, owner: Principal) -> None:
    seconds = seed_conversations(runtime, owner, args.conversations)
    print(f"inbox list on {args.conversations:,} conversations (seeded in {seconds:.1f} s)")
    with runtime.sessions() as session:
        token = auth_service.create_token(
            session, workspace_id=owner.workspace_id, name="bench-lister", role=Role.AGENT
        ).secret
    views = {
        "default (open, most urgent first)": {},
        "unassigned": {"view": "unassigned"},
        "email only": {"channel": "email"},
        "search 'refund'": {"q": "refund", "status": "any"},
    }
    with (
        HttpServer(runtime.settings) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client,
    ):
        for label, params in views.items():
            in_service: list[float] = []
            over_http: list[float] = []
            for _ in range(2):  # warm both processes' caches and connection pools first
                client.get("/api/v1/inbox/conversations", params=params).raise_for_status()
            for _ in range(args.list_runs):
                started = time.perf_counter()
                with runtime.sessions() as session:
                    inbox_service.list_conversations(
                        session, principal=owner, view=InboxView.model_validate(params)
                    )
                in_service.append(time.perf_counter() - started)
                started = time.perf_counter()
                response = client.get("/api/v1/inbox/conversations", params=params)
                over_http.append(time.perf_counter() - started)
                response.raise_for_status()
            print(
                f"  {label:<36} service p50 {pct(in_service, 0.5):6.1f} ms  p95 {pct(in_service, 0.95):6.1f} ms"
                f"   REST p50 {pct(over_http, 0.5):6.1f} ms  p95 {pct(over_http, 0.95):6.1f} ms"
                "   (target p95 <= 300 ms)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["all", "email", "chat", "list"], default="all")
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--poll", type=float, default=0.5, help="worker poll interval, seconds")
    parser.add_argument("--rate", type=float, default=200, help="chat messages per second")
    parser.add_argument("--chat-seconds", type=float, default=60)
    parser.add_argument(
        "--warmup-seconds", type=float, default=3, help="untimed chat traffic first, from other visitors"
    )
    parser.add_argument("--timeline", action="store_true", help="print chat latency second by second")
    parser.add_argument(
        "--clients", type=int, default=32, help="concurrent HTTP clients posting chat messages"
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--list-runs", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="omnicx-bench-"))
    base = Settings()
    settings = Settings(
        data_dir=tmp,
        database_url=base.database_url,
        secret_key="bench",
        environment="test",
        smtp_outbound_port=free_port(),
        job_poll_seconds=args.poll,
        run_worker_in_process=False,
    )
    upgrade_to_head(settings.resolved_database_url)
    wire()
    # DNS answers (mail authentication, the domain's proof) come from records held in memory: nothing on the
    # network, so the timings measure omnicx.
    runtime = build_runtime(settings, resolver=StaticResolver())
    db = "PostgreSQL" if not settings.is_sqlite else "SQLite"
    print(f"omnicx inbox benchmark on {db}")
    try:
        with runtime.sessions() as session:
            slug = f"bench-{int(time.time())}"
            workspace = auth_service.create_workspace(session, data=WorkspaceCreate(slug=slug, name="Bench"))
            auth_service.ensure_membership(
                session,
                workspace_id=workspace.id,
                email=f"agent@{slug}.example.com",
                role=Role.AGENT,
                password="bench password 123",
            )
        owner = Principal(workspace_id=workspace.id, role=Role.OWNER, label="bench")
        if args.part in ("all", "email"):
            email_part(args, runtime, settings, owner)
        if args.part in ("all", "chat"):
            chat_part(args, runtime, owner)
        if args.part in ("all", "list"):
            list_part(args, runtime, owner)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
