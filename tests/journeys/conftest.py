"""The journeys tests use the analytics fixtures: a tracking source to send events, and a chdb database."""

from tests.analytics.conftest import chdb_path, chdb_url, source

__all__ = ["chdb_path", "chdb_url", "source"]
