"""Demo fixtures: the demo's local SMS provider (`demo/providers.py`), on a free port for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnicx.demo.providers import RunningProviders, start_providers
from omnicx.kernel.settings import Settings
from tests.helpers import free_port


@pytest.fixture
def demo_providers(settings: Settings) -> Iterator[RunningProviders]:
    providers = start_providers(settings.resolved_secret_key, free_port())
    yield providers
    providers.stop()
