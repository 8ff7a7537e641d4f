"""Benchmark: how fast a message crosses omnicx's inbox, end to end over real SMTP.

    python bench/inbox_latency.py                  # 200 inbound emails, 50 replies, embedded SQLite
    OMNICX_DATABASE_URL=postgresql://127.0.0.1:5432/bench python bench/inbox_latency.py --emails 500

Measured on loopback, in one process:
    inbound   smtplib sends to omnicx's built-in SMTP server -> the server answers 250 only after the message
              is committed as a conversation message (so the SMTP round trip is the ingest latency);
    reply     an agent's reply is committed -> a worker thread delivers it -> it reaches a local SMTP sink.

Targets: inbound p95 under 150 ms, reply-to-delivered p95 under 1.5 s (the worker polls every 0.5 s by
default; set --poll to change it). No peer runs here: Chatwoot and Zammad need their own stacks.
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import statistics
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from omnicx.auth import service as auth_service
from omnicx.auth.permissions import Role
from omnicx.auth.schemas import Principal, WorkspaceCreate
from omnicx.channels.email.server import start_smtp_server
from omnicx.domains import load_all
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ChannelKind
from omnicx.inbox.schemas import InboxCreate, InboxView, ReplyCreate
from omnicx.jobs.worker import start_worker_thread
from omnicx.migrations import upgrade_to_head
from omnicx.runtime import build_runtime
from omnicx.settings import Settings


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--replies", type=int, default=50)
    parser.add_argument("--poll", type=float, default=0.5, help="worker poll interval, seconds")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="omnicx-bench-"))
    sink = Sink()
    sink_port = free_port()
    base = Settings()
    settings = Settings(
        data_dir=tmp,
        database_url=base.database_url,
        secret_key="bench",
        environment="test",
        smtp_outbound_port=sink_port,
        job_poll_seconds=args.poll,
    )
    upgrade_to_head(settings.resolved_database_url)
    load_all()
    runtime = build_runtime(settings)
    with runtime.sessions() as session:
        workspace = auth_service.create_workspace(session, data=WorkspaceCreate(slug="bench", name="Bench"))
        owner = Principal(workspace_id=workspace.id, role=Role.OWNER, label="bench")
        inbox_service.create_inbox(
            session,
            principal=owner,
            data=InboxCreate(channel=ChannelKind.EMAIL, name="Support", address="support@bench.example.com"),
        )
    port = free_port()
    server = start_smtp_server(runtime, host="127.0.0.1", port=port)
    sink_controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
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
                session, principal=owner, view=InboxView(limit=500)
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
        db = "PostgreSQL" if not settings.is_sqlite else "SQLite"
        print(f"omnicx inbox latency on {db} ({args.emails} inbound emails, {len(replies)} replies)")
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
        runtime.close()


if __name__ == "__main__":
    main()
