"""Job handlers of the commerce domain, registered by the composition root (`omnicx.app.wiring`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from omnicx.commerce import service
from omnicx.kernel.jobs.registry import Handler, JobContext


def _workspace(ctx: JobContext) -> uuid.UUID:
    if ctx.workspace_id is None:
        raise ValueError(f"a {ctx.kind} job belongs to a workspace")
    return ctx.workspace_id


def notify_ready(ctx: JobContext) -> None:
    """Send the customer's "ready for pickup" notice; a second run finds it recorded and does nothing."""
    service.notify_ready(
        ctx.session,
        workspace_id=_workspace(ctx),
        order_id=uuid.UUID(str(ctx.payload["order_id"])),
        base_url=ctx.runtime.settings.base_url,
    )


def request_review(ctx: JobContext) -> None:
    """Ask the order's customer for reviews of what they received; a second run finds it asked."""
    service.send_request(
        ctx.session,
        workspace_id=_workspace(ctx),
        order_id=uuid.UUID(str(ctx.payload["order_id"])),
        base_url=ctx.runtime.settings.base_url,
        secret=ctx.runtime.settings.resolved_secret_key,
    )


def sweep_reservations(ctx: JobContext) -> None:
    """Delete expired reservations (they stopped counting when they expired; this only tidies)."""
    service.sweep_expired(ctx.session, workspace_id=_workspace(ctx))


def cart_check(ctx: JobContext) -> None:
    """An hour after a cart's last change: if nothing happened since, it is abandoned."""
    service.check_abandoned_cart(
        ctx.session,
        workspace_id=_workspace(ctx),
        cart_id=uuid.UUID(str(ctx.payload["cart_id"])),
        touched_at=datetime.fromisoformat(str(ctx.payload["touched_at"])),
    )


def shopify_webhook(ctx: JobContext) -> None:
    """Turn one stored Shopify-compatible webhook into orders or stock, once."""
    service.process_webhook(
        ctx.session, workspace_id=_workspace(ctx), webhook_row_id=uuid.UUID(str(ctx.payload["webhook"]))
    )


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {
    service.NOTIFY_READY_JOB: notify_ready,
    service.SWEEP_JOB: sweep_reservations,
    service.CART_CHECK_JOB: cart_check,
    service.SHOPIFY_JOB: shopify_webhook,
    service.REQUEST_JOB: request_review,
}
