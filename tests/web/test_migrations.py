"""Migrations reach head on an empty database and describe exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from omnicx.app.migrations import head_revision, is_current
from omnicx.kernel.db import Base
from omnicx.kernel.runtime import Runtime


def test_database_is_at_head_and_has_every_table(runtime: Runtime) -> None:
    assert head_revision() is not None
    assert is_current(runtime.engine)
    tables = set(inspect(runtime.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_models_and_migrations_do_not_differ(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations; generate a migration: {diff}"


def test_every_customer_data_table_carries_workspace_id() -> None:
    # A person's account and what belongs to it alone (sessions, sign-in attempts, password resets) span workspaces;
    # the analytics sync's one state row serialises every workspace's batches and holds no customer data.
    global_tables = {
        "analytics_state",
        "auth_workspace",
        "auth_user",
        "auth_session",
        "auth_login_attempt",
        "auth_password_reset",
    }
    for table in Base.metadata.sorted_tables:
        if table.name not in global_tables:
            assert "workspace_id" in table.c, f"{table.name} has no workspace_id"
