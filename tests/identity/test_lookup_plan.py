"""An identifier lookup reads only the identifiers it names: SQLite's plan for the statement `lookup` runs, with
identifiers of several kinds, searches the (workspace, kind, value) index and scans no table. (An OR of the
kinds once made it read every identifier of the workspace for each order's email and phone.) The plan is
SQLite's, so the test runs on its own SQLite file whatever database the suite uses."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event

from omnicx.app.migrations import upgrade_to_head
from omnicx.identity.schemas import IdentifierKind
from omnicx.identity.service.facts import lookup, suppressed_keys
from omnicx.kernel.db import make_engine, make_session_factory

KEYS = [
    (IdentifierKind.EMAIL, "ann@example.com"),
    (IdentifierKind.PHONE, "+33612345678"),
    (IdentifierKind.ANONYMOUS_ID, "device-1"),
    (IdentifierKind.USER_ID, "user-1"),
]


def _plans(tmp_path: Path, read: Any) -> list[str]:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    statements: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with make_session_factory(engine)() as session:
        read(session)
        connection = session.connection()
        plans = [
            row[3]
            for statement, parameters in statements
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        ]
    engine.dispose()
    return plans


def test_a_lookup_of_several_kinds_searches_the_index_for_each(tmp_path: Path) -> None:
    workspace = uuid.uuid4()
    plans = _plans(tmp_path, lambda session: lookup(session, workspace_id=workspace, keys=KEYS))
    searches = [p for p in plans if "identity_identifier" in p]
    assert len(searches) == len(KEYS), plans
    assert all("kind=? AND value=?" in p for p in searches), plans
    assert not [p for p in plans if p.startswith("SCAN identity_")], plans


def test_a_suppression_check_of_several_kinds_scans_nothing(tmp_path: Path) -> None:
    workspace = uuid.uuid4()
    plans = _plans(tmp_path, lambda session: suppressed_keys(session, workspace_id=workspace, keys=KEYS))
    assert [p for p in plans if "identity_suppression" in p], plans
    assert not [p for p in plans if p.startswith("SCAN identity_")], plans
