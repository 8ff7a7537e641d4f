"""Start-up wiring of the commerce domain: job handlers, and orders on the customer 360 timeline."""

from __future__ import annotations

import uuid
from datetime import datetime

from omnicx.commerce import service
from omnicx.customers import service as customers_service
from omnicx.jobs.registry import JobContext, job_handler

customers_service.register_timeline_provider("commerce", service.order_timeline)


def _workspace(ctx: JobContext) -> uuid.UUID:
    if ctx.workspace_id is None:
        raise ValueError(f"a {ctx.kind} job belongs to a workspace")
    return ctx.workspace_id


@job_handler(service.NOTIFY_READY_JOB)
def notify_ready(ctx: JobContext) -> None:
    """Send the customer's "ready for pickup" notice; a second run finds it recorded and does nothing."""
    service.notify_ready(
        ctx.session,
        workspace_id=_workspace(ctx),
        order_id=uuid.UUID(str(ctx.payload["order_id"])),
        base_url=ctx.runtime.settings.base_url,
    )


@job_handler(service.SWEEP_JOB)
def sweep_reservations(ctx: JobContext) -> None:
    """Delete expired reservations (they stopped counting when they expired; this only tidies)."""
    service.sweep_expired(ctx.session, workspace_id=_workspace(ctx))


@job_handler(service.CART_CHECK_JOB)
def cart_check(ctx: JobContext) -> None:
    """An hour after a cart's last change: if nothing happened since, it is abandoned."""
    service.check_abandoned_cart(
        ctx.session,
        workspace_id=_workspace(ctx),
        cart_id=uuid.UUID(str(ctx.payload["cart_id"])),
        touched_at=datetime.fromisoformat(str(ctx.payload["touched_at"])),
    )


@job_handler(service.SHOPIFY_JOB)
def shopify_webhook(ctx: JobContext) -> None:
    """Turn one stored Shopify-compatible webhook into orders or stock, once."""
    service.process_webhook(
        ctx.session, workspace_id=_workspace(ctx), webhook_row_id=uuid.UUID(str(ctx.payload["webhook"]))
    )
