"""The journeys tests use the analytics fixtures (a tracking source to send events, a chdb database) and the
commerce shop to place orders in."""

from collections.abc import Callable
from typing import TypeVar

from omnicx.analytics import service as analytics_service
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from tests.analytics.chdb_support import chdb_settings
from tests.analytics.conftest import chdb_path, chdb_url, source
from tests.commerce.conftest import shop
from tests.inbox.conftest import email_inbox

__all__ = ["chdb_path", "chdb_url", "email_inbox", "on_clickhouse", "shop", "source"]

T = TypeVar("T")


def on_clickhouse(settings: Settings, chdb_url: str, ask: Callable[[Runtime], T]) -> T:
    """`ask` answered by a runtime whose analytics engine is ClickHouse's (chdb), its copy rebuilt from the
    same store of record."""
    runtime = build_runtime(chdb_settings(settings, chdb_url))
    try:
        analytics_service.rebuild(runtime)
        return ask(runtime)
    finally:
        runtime.close()
