"""Security fixtures: apps built with their own settings, clients connecting from chosen addresses, and the
tracking source and inbox fixtures reused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from tests.inbox.conftest import chat_inbox, email_inbox  # noqa: F401  (fixtures used by these tests)
from tests.tracking.conftest import count_rows, source  # noqa: F401  (fixtures used by these tests)

AppFactory = Callable[..., FastAPI]
Connect = Callable[[FastAPI, str], TestClient]


@pytest.fixture
def make_app(settings: Settings) -> Iterator[AppFactory]:
    """`make_app(**settings)`: an app on the test database whose settings differ as given (its own limiter)."""
    from omnicx.app.web import create_app

    runtimes: list[Runtime] = []

    def build(**overrides: Any) -> FastAPI:
        runtime = build_runtime(settings.model_copy(update=overrides))
        runtimes.append(runtime)
        return create_app(runtime.settings, runtime=runtime)

    yield build
    for runtime in runtimes:
        runtime.close()


@pytest.fixture
def connect() -> Iterator[Connect]:
    """`connect(app, address)`: a client of `app` whose requests come from `address` (the peer it sees)."""
    clients: list[TestClient] = []

    def open_client(app: FastAPI, address: str) -> TestClient:
        client = TestClient(app, client=(address, 50000), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)
