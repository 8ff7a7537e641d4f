"""Job handlers of the messaging channels, registered by the composition root (`omnicx.app.wiring`).

- `inbox.deliver`: hand one committed reply to its channel's adapter (retried with backoff; after the last
  attempt the reply is marked failed with the last error). A reply to a number that opted out of its channel
  (STOP) is failed with the reason instead, whichever inbox it would leave from. A reply waits (retried)
  while an earlier reply of its conversation is still pending, so replies arrive in the order written. The
  reply is read in a short transaction, sent with no transaction open (SQLite's writer lock is never held
  across network I/O), then recorded in the job's transaction. A retry after a send whose record was lost
  resends the same Message-ID, so the recipient's mail client shows it once. The inbox queues the job; the
  channels own the sending.
- `inbox.fetch_attachments`: fetch the media a provider's webhook named (the inbox stored the message with them
  pending and queued the job in the same transaction) through the inbox's channel adapter, with the inbox's
  credentials and no transaction open, and record each in a short transaction of its own, so one stored
  survives another's retry and each shows on the agents' screens as it comes. Throttling, the provider failing
  or the network retry the job with backoff (only what is still pending is fetched again); a refusal for good
  (another 4xx, too large, a checksum that does not match) marks the attachment failed at once, and the last
  attempt marks what is left failed. Errors are kept without the inbox's credentials (a Telegram bot token is
  part of its file URLs).
- `ownership.send_code`: mail the code proving an address to that address (the ownership domain queues it;
  a code superseded, expired or no longer needed is not sent). The Message-ID is derived from the job id.
- `auth.send_invitation` and `auth.send_password_reset`: mail an invitation link, a password reset link (the
  auth domain queues them with the link's token sealed under the server's key; a link replaced, used,
  withdrawn or expired since is not sent). The Message-ID is derived from the job id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.channels.base import DeliveryFailed
from omnicx.channels.email.sender import send_code_email, send_invitation_email, send_password_reset_email
from omnicx.channels.media import MediaLimits, MediaRefused, MediaUnavailable
from omnicx.channels.provider_api import ProviderError
from omnicx.channels.registry import adapter_for, media_source_for, profile_source_for
from omnicx.inbox import service
from omnicx.inbox.enums import DeliveryStatus
from omnicx.inbox.schemas import Attachment, OutboundMessage
from omnicx.kernel.db import transaction
from omnicx.kernel.jobs.registry import Handler, JobContext
from omnicx.ownership import service as ownership_service
from omnicx.ownership.enums import ClaimKind

log = logging.getLogger(__name__)


def deliver(ctx: JobContext) -> None:
    message_id = uuid.UUID(ctx.payload["message_id"])
    with ctx.runtime.sessions() as reader:
        outbound = service.outbound_for(
            reader, message_id=message_id, secret_key=ctx.runtime.settings.resolved_secret_key
        )
        refusal = opted_out(reader, outbound) if outbound is not None else None
        waiting = outbound is not None and service.earlier_reply_pending(reader, message_id=message_id)
    if outbound is None:
        return
    if refusal is not None:
        service.record_delivery(
            ctx.session, message_id=message_id, status=DeliveryStatus.FAILED, error=refusal
        )
        return
    try:
        if waiting:
            raise EarlierReplyPending("an earlier reply of this conversation is still being delivered")
        result = adapter_for(outbound.channel).send(outbound, settings=ctx.runtime.settings)
    except DeliveryFailed as exc:
        service.record_delivery(
            ctx.session, message_id=message_id, status=DeliveryStatus.FAILED, error=str(exc)
        )
        return
    except Exception as exc:
        if ctx.attempt < service.DELIVER_ATTEMPTS:
            raise  # transient (server down, 4xx): the worker retries with backoff
        # Out of attempts: the agent sees the reply failed, with the last error, instead of pending forever.
        service.record_delivery(
            ctx.session,
            message_id=message_id,
            status=DeliveryStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
        )
        return
    service.record_delivery(
        ctx.session,
        message_id=message_id,
        status=result.status,
        provider_message_id=result.provider_message_id,
    )


class EarlierReplyPending(Exception):
    """This reply waits (retried like a failed send) until the conversation's earlier replies are delivered."""


def opted_out(session: Session, outbound: OutboundMessage) -> str | None:
    """Why `outbound` must not be sent (its recipient opted out of its channel), or None."""
    found = service.opt_out_of(
        session, workspace_id=outbound.workspace_id, channel=outbound.channel, address=outbound.to
    )
    if found is None:
        return None
    said = f' (they wrote "{found.keyword}")' if found.keyword else ""
    return (
        f"not sent: {outbound.to} opted out of {outbound.channel.value} on {found.changed_at:%Y-%m-%d}{said}"
    )


def fetch_profile(ctx: JobContext) -> None:
    """Name a sender known by id only, from their profile at the provider. Throttling and the provider's own
    failures are retried; a refusal (a profile it will not show) leaves the contact named by its id."""
    with ctx.runtime.sessions() as reader:
        asked = service.profile_request(
            reader,
            contact_id=uuid.UUID(ctx.payload["contact_id"]),
            secret_key=ctx.runtime.settings.resolved_secret_key,
        )
    source = profile_source_for(asked.channel) if asked is not None else None
    if asked is None or source is None:
        return
    try:
        name = source.profile_name(asked.source_id, credentials=asked.credentials)
    except ProviderError as error:
        if error.error.transient:
            raise
        log.info("no profile name for contact %s: %s", asked.contact_id, error)
        return
    with ctx.runtime.sessions() as session:
        service.name_contact(session, contact_id=asked.contact_id, name=name)


def fetch_attachments(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    message_id = uuid.UUID(ctx.payload["message_id"])
    with ctx.runtime.sessions() as reader:
        pending = service.pending_attachments(
            reader, message_id=message_id, secret_key=settings.resolved_secret_key
        )
    source = media_source_for(pending.channel) if pending is not None else None
    if pending is None or source is None:
        return  # all fetched by an earlier run, or the message was erased
    limits = MediaLimits.of(settings)
    final = ctx.attempt >= service.FETCH_ATTACHMENTS_ATTEMPTS
    retry: MediaUnavailable | None = None
    for item in pending.attachments:
        try:
            fetched = source.fetch(item, credentials=pending.credentials, limits=limits)
        except MediaRefused as exc:
            failure = _scrubbed(str(exc), pending.credentials)
        except Exception as exc:  # MediaUnavailable, or anything unexpected: worth another attempt
            reason = _scrubbed(
                str(exc) if isinstance(exc, MediaUnavailable) else _described(exc), pending.credentials
            )
            if not final:
                retry = retry or MediaUnavailable(reason)
                continue
            failure = f"{reason} (gave up after {ctx.attempt} attempts)"
        else:
            _record(ctx, _stored(message_id, item.index, fetched, settings.data_dir))
            continue
        _record(ctx, _failed(message_id, item.index, failure))
    if retry is not None:
        raise retry  # chained to nothing: the job's error keeps only the scrubbed reason


def _stored(
    message_id: uuid.UUID, index: int, fetched: Attachment, data_dir: Path
) -> Callable[[Session], bool]:
    return lambda session: service.record_attachment(
        session, message_id=message_id, index=index, attachment=fetched, data_dir=data_dir
    )


def _failed(message_id: uuid.UUID, index: int, error: str) -> Callable[[Session], bool]:
    return lambda session: service.record_attachment_failure(
        session, message_id=message_id, index=index, error=error
    )


def _record(ctx: JobContext, write: Callable[[Session], bool]) -> None:
    """One attachment's outcome, committed on its own (and announced to the agents' screens after commit)."""
    with transaction(ctx.runtime.sessions) as session:
        write(session)


def _described(exc: Exception) -> str:
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


def _scrubbed(text: str, credentials: dict[str, str]) -> str:
    """`text` without the inbox's secrets (its tokens and secrets: a token in a URL an error repeated)."""
    for key, value in credentials.items():
        if key.endswith(("token", "secret")) and value:
            text = text.replace(value, "<hidden>")
    return text


def send_ownership_code(ctx: JobContext) -> None:
    with ctx.runtime.sessions() as reader:
        delivery = ownership_service.code_delivery(
            reader,
            claim_id=uuid.UUID(ctx.payload["claim_id"]),
            nonce=str(ctx.payload["nonce"]),
            secret=ctx.runtime.settings.resolved_secret_key,
        )
    if delivery is None or delivery.kind is not ClaimKind.EMAIL_ADDRESS:
        return
    send_code_email(delivery, settings=ctx.runtime.settings, message_id=f"<{ctx.job_id}@omnicx.verification>")


def send_invitation(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    with ctx.runtime.sessions() as reader:
        delivery = auth_service.invitation_delivery(
            reader,
            invitation_id=uuid.UUID(ctx.payload["invitation_id"]),
            sealed=str(ctx.payload["sealed"]),
            secret=settings.resolved_secret_key,
            base_url=settings.base_url,
        )
    if delivery is not None:
        send_invitation_email(delivery, settings=settings, message_id=f"<{ctx.job_id}@omnicx.invitation>")


def send_password_reset(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    with ctx.runtime.sessions() as reader:
        delivery = auth_service.password_reset_delivery(
            reader,
            reset_id=uuid.UUID(ctx.payload["reset_id"]),
            sealed=str(ctx.payload["sealed"]),
            secret=settings.resolved_secret_key,
            base_url=settings.base_url,
        )
    if delivery is not None:
        send_password_reset_email(
            delivery, settings=settings, message_id=f"<{ctx.job_id}@omnicx.password-reset>"
        )


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {
    service.DELIVER_JOB: deliver,
    service.FETCH_ATTACHMENTS_JOB: fetch_attachments,
    service.FETCH_PROFILE_JOB: fetch_profile,
    ownership_service.SEND_CODE_JOB: send_ownership_code,
    auth_service.SEND_INVITATION_JOB: send_invitation,
    auth_service.SEND_PASSWORD_RESET_JOB: send_password_reset,
}
