"""The analytics engine: a derived, rebuildable columnar copy of what reports read, and the one way to query it.

SQLite or PostgreSQL stay the store of record. The copy (`catalog.py` lists its tables) is kept in immutable
Parquet segments under the data directory, listed by a manifest in the store of record, and queried with DuckDB;
`docs/architecture.md` ("Analytics engine") explains the design.
"""
