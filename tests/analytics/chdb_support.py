"""ClickHouse's engine in the test process (chdb): one data path per process, one database per test.

chdb admits one engine per process, on one path: every test of a pytest worker shares that path, and each gets a
database of its own, named in its `OMNICX_ANALYTICS_URL`. Tests that need chdb fail in CI when it is missing
(it is in the `dev` extra) rather than skip.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from omnicx.analytics import clickhouse
from omnicx.kernel.settings import Settings


def require_chdb() -> None:
    """Skip without chdb on a laptop; fail in CI, where the `dev` extra must have installed it."""
    if importlib.util.find_spec("chdb") is not None:
        return
    if os.environ.get("CI"):
        pytest.fail("chdb is missing: CI must install the dev extra (it runs the ClickHouse tests)")
    pytest.skip("chdb is not installed (pip install -e '.[dev]')")


def chdb_settings(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"analytics_url": url})


def copy_of(settings: Settings) -> clickhouse.ClickHouseCopy:
    assert settings.analytics_url
    return clickhouse.copy_at(settings.analytics_url, settings.data_dir)
