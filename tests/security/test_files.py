"""The data directory and the embedded database are private to the account running omnicx."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.kernel.runtime import build_runtime
from omnicx.kernel.settings import Settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_migrate_creates_a_private_data_directory_and_database(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    result = CliRunner().invoke(
        app, ["migrate"], env={"OMNICX_DATA_DIR": str(data), "OMNICX_DATABASE_URL": ""}
    )
    assert result.exit_code == 0, result.output
    assert _mode(data) == 0o700
    assert _mode(data / "omnicx.db") == 0o600


def test_a_runtime_keeps_the_database_its_journal_and_the_secret_key_private(tmp_path: Path) -> None:
    settings = Settings(environment="test", data_dir=tmp_path / "data")
    runtime = build_runtime(settings)
    try:
        with runtime.engine.begin() as connection:  # a write: SQLite opens its -wal and -shm files
            connection.exec_driver_sql("CREATE TABLE probe (x INTEGER)")
            assert _mode(settings.data_dir / "omnicx.db-wal") == 0o600
        assert settings.resolved_secret_key
        assert _mode(settings.data_dir) == 0o700
        assert _mode(settings.data_dir / "omnicx.db") == 0o600
        assert _mode(settings.data_dir / "secret_key") == 0o600
    finally:
        runtime.close()
