"""Settings: environment variables, a generated secret kept in the data directory, safe production defaults."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from omnicx.kernel.settings import Settings


def test_environment_variables_configure_omnicx(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OMNICX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OMNICX_DATABASE_URL", "postgres://u@db/omnicx")
    monkeypatch.setenv("OMNICX_DEFAULT_LANGUAGE", "ca")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@db/omnicx"
    assert settings.default_language == "ca"


def test_default_database_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=None)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'omnicx.db'}"
    assert settings.is_sqlite


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path, secret_key=None).resolved_secret_key
    second = Settings(data_dir=tmp_path, secret_key=None).resolved_secret_key
    assert first == second
    assert len(first) >= 48
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_refuses_to_invent_a_secret(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="OMNICX_SECRET_KEY"):
        _ = Settings(data_dir=tmp_path, secret_key=None, environment="production").resolved_secret_key


def test_invalid_language_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="default_language"):
        Settings(data_dir=tmp_path, default_language="xx")  # type: ignore[arg-type]
