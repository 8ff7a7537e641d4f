"""A second omnicx web process, for the cross-process realtime test: `python -m tests.realtime.server_main N`.

Configured like production, from `OMNICX_*` environment variables (database, Redis, secret key).
"""

from __future__ import annotations

import sys

import uvicorn

from omnicx.app.web import create_app
from omnicx.kernel.settings import Settings


def main() -> None:
    port = int(sys.argv[1])
    uvicorn.run(
        create_app(Settings()), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
    )


if __name__ == "__main__":
    main()
