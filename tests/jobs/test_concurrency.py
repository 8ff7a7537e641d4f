"""PostgreSQL: two worker processes share 1,000 jobs through FOR UPDATE SKIP LOCKED, none runs twice."""

from __future__ import annotations

from collections import Counter

import pytest

from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.models import JobStatus
from omnicx.kernel.runtime import Runtime
from tests.jobs.conftest import WorkerProcesses, count_jobs, effect_rows, wait_for

JOBS = 1000


@pytest.mark.postgres
def test_two_workers_run_a_thousand_jobs_each_exactly_once(
    pg_runtime: Runtime, worker_processes: WorkerProcesses
) -> None:
    url = pg_runtime.settings.resolved_database_url
    workers = [worker_processes.start(url), worker_processes.start(url)]

    with pg_runtime.sessions() as session:
        ids = [service.enqueue(session, kind="test.effect", payload={"n": n}) for n in range(JOBS)]
        session.commit()
    wait_for(
        lambda: count_jobs(pg_runtime, JobStatus.SUCCEEDED, JobStatus.DEAD) == JOBS,
        timeout=30,
        what=f"{JOBS} jobs to finish",
    )
    assert [worker_processes.stop(w) for w in workers] == [0, 0]

    assert count_jobs(pg_runtime, JobStatus.SUCCEEDED) == JOBS
    effects = effect_rows(pg_runtime)
    runs = Counter(row[0] for row in effects)
    assert set(runs) == {str(i) for i in ids}
    assert set(runs.values()) == {1}, "a job ran twice"
    assert {row[1] for row in effects} == {1}, "a job needed a second attempt"
    assert len({row[2] for row in effects}) == 2, "both workers should have taken part"
