"""A real worker process for the crash and concurrency tests: `python -m tests.jobs.worker_main`.

Configured like production, from `OMNICX_*` environment variables, with the test job kinds imported. It
touches `OMNICX_TEST_READY_FILE` (when set) once its runtime is built, so a test knows when it is polling.
"""

from __future__ import annotations

import os
from pathlib import Path

from omnicx.app.wiring import wire
from omnicx.kernel.jobs.cli import run_worker
from omnicx.kernel.runtime import build_runtime
from omnicx.kernel.settings import Settings
from tests.jobs import handlers


def main() -> None:
    wire()
    handlers.register_handlers()
    runtime = build_runtime(Settings())
    try:
        ready = os.environ.get("OMNICX_TEST_READY_FILE")
        if ready:
            Path(ready).touch()
        run_worker(runtime)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
