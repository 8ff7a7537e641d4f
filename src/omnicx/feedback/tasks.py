"""Job handlers of feedback, registered by the composition root (`omnicx.app.wiring`).

- `feedback.ask_csat`: post a resolved conversation's satisfaction question on its channel.
- `feedback.send_survey`: ask a survey's audience, each customer on the channel they last used.
"""

from __future__ import annotations

import uuid

from omnicx.feedback import service
from omnicx.kernel.jobs.registry import Handler, JobContext


def ask_csat(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    service.ask(
        ctx.session,
        survey_id=uuid.UUID(ctx.payload["survey_id"]),
        base_url=settings.base_url,
        secret=settings.resolved_secret_key,
    )


def send_survey(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    service.send_to(
        ctx.session,
        survey_id=uuid.UUID(ctx.payload["survey_id"]),
        customer_ids=[uuid.UUID(c) for c in ctx.payload["customer_ids"]],
        base_url=settings.base_url,
        secret=settings.resolved_secret_key,
    )


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {service.ASK_JOB: ask_csat, service.SEND_JOB: send_survey}
