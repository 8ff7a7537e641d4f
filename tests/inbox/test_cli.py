"""`omnicx inbox create|list`: inboxes from the command line (chat inboxes print their widget token)."""

from __future__ import annotations

from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.kernel.settings import Settings
from tests.conftest import World


def test_create_and_list_inboxes(settings: Settings, world: World, db) -> None:  # type: ignore[no-untyped-def]
    db.rollback()
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_SECRET_KEY": "cli-test-secret",
    }
    runner = CliRunner()
    made = runner.invoke(
        app, ["inbox", "create", "Support", "-w", "acme", "--address", "Help@Acme.example.com"], env=env
    )
    assert made.exit_code == 0, made.output
    assert made.output.strip().splitlines()[-1] == "help@acme.example.com"
    chat = runner.invoke(app, ["inbox", "create", "Site", "-w", "acme", "--channel", "chat"], env=env)
    assert chat.exit_code == 0 and chat.output.strip().splitlines()[-1].startswith("chat_")
    again = runner.invoke(
        app, ["inbox", "create", "Copy", "-w", "acme", "--address", "help@acme.example.com"], env=env
    )
    assert again.exit_code == 1 and "inbox_exists" in again.output
    listed = runner.invoke(app, ["inbox", "list", "-w", "acme"], env=env)
    assert "help@acme.example.com" in listed.output and "chat" in listed.output
