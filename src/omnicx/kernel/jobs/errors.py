"""Errors of the jobs domain, each with a stable code clients can rely on."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, NotFound


class JobNotFound(NotFound):
    """No such job in the caller's workspace (jobs of other workspaces are reported the same way)."""

    code = "job_not_found"


class JobNotRetryable(Conflict):
    """Only a dead job can be retried by hand; queued and running jobs are still in the worker's hands."""

    code = "job_not_retryable"
