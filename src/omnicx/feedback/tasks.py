"""Job handlers of feedback, registered by the composition root (`omnicx.app.wiring`).

- `feedback.ask_csat`: post a resolved conversation's satisfaction question on its channel.
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


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {service.ASK_JOB: ask_csat}
