"""Explicit wiring: importing modules registers nothing, and every entry point serves fully wired.

Each check runs in a fresh interpreter, so what another test registered in this process cannot hide a gap: an
entry point that forgot `wire()` would run workers without handlers, timelines without orders and erasures
that leave conversations behind.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import omnicx

# Prints what every registry holds; appended to each scenario's set-up code.
DUMP = """
import json
from omnicx.commerce.service import notices as commerce_notices
from omnicx.customers.service import registry as customers_registry
from omnicx.inbox.service import replies as inbox_replies
from omnicx.identity.service import privacy
from omnicx.kernel.access import directory
from omnicx.kernel.jobs.registry import registered_kinds
from omnicx.kernel.web import nav

print("REGISTRIES " + json.dumps({
    "jobs": registered_kinds(),
    "timelines": sorted(customers_registry.timeline_providers()),
    "facts": sorted(customers_registry.facts_providers()),
    "filters": customers_registry.available_filters(),
    "erasers": sorted(privacy._ERASERS),
    "exporters": sorted(privacy._EXPORTERS),
    "nav": [item.key for item in nav.MAIN],
    "settings_nav": [item.key for item in nav.SETTINGS],
    "directory": directory._directory is not None,
    "reply_listeners": sorted(inbox_replies._REPLY_LISTENERS),
    "ready_listeners": sorted(commerce_notices._READY_LISTENERS),
}))
"""

IMPORT_EVERYTHING = """
import importlib, pkgutil
import omnicx
for info in pkgutil.walk_packages(omnicx.__path__, prefix="omnicx."):
    if info.name == "omnicx.__main__" or info.name.startswith("omnicx.app.migrations."):
        continue
    importlib.import_module(info.name)
"""

WIRED = "from omnicx.app.wiring import wire\nwire()\n"

SERVE = """
from omnicx.app.web import create_app
from omnicx.kernel.settings import Settings
create_app(Settings(data_dir={data_dir!r}, run_worker_in_process=False, environment="test"))
"""

CLI = """
from typer.testing import CliRunner
from omnicx.app.cli import app
result = CliRunner().invoke(app, ["worker", "--help"])
assert result.exit_code == 0, result.output
"""


def _registries(code: str, tmp_path: Path) -> dict[str, Any]:
    env = {"PATH": "/usr/bin:/bin", "OMNICX_DATA_DIR": str(tmp_path), "OMNICX_ENVIRONMENT": "test"}
    env.update({k: v for k, v in os.environ.items() if k in ("PYTHONPATH", "VIRTUAL_ENV", "HOME")})
    result = subprocess.run(
        [sys.executable, "-c", code + DUMP], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("REGISTRIES "))
    loaded: dict[str, Any] = json.loads(line.removeprefix("REGISTRIES "))
    return loaded


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _registries(WIRED, tmp_path_factory.mktemp("wired"))


def test_importing_every_module_registers_nothing(tmp_path: Path) -> None:
    registries = _registries(IMPORT_EVERYTHING, tmp_path)
    assert not registries.pop("directory")
    assert all(not entries for entries in registries.values()), registries


def offered_job_kinds() -> set[str]:
    """Every job kind a domain's `tasks.HANDLERS` offers."""
    kinds: set[str] = set()
    for package in pkgutil.iter_modules(omnicx.__path__):
        name = f"omnicx.{package.name}.tasks"
        if package.ispkg and importlib.util.find_spec(name) is not None:
            kinds |= set(importlib.import_module(name).HANDLERS)
    return kinds


def test_every_job_handler_a_domain_offers_is_wired(wired: dict[str, Any]) -> None:
    offered = offered_job_kinds()
    assert "inbox.deliver" in offered
    assert offered - set(wired["jobs"]) == set()


def test_wiring_registers_every_domains_job_kinds_providers_and_erasers(wired: dict[str, Any]) -> None:
    from omnicx.commerce import service as commerce_service
    from omnicx.identity import service as identity_service
    from omnicx.inbox import service as inbox_service
    from omnicx.tracking import service as tracking_service

    declared = {
        getattr(module, name)
        for module in (commerce_service, identity_service, inbox_service, tracking_service)
        for name in dir(module)
        if name.endswith("_JOB")
    }
    assert declared and declared <= set(wired["jobs"]), declared - set(wired["jobs"])
    assert set(wired["timelines"]) == {"identity", "tracking", "commerce", "reviews", "appointments", "inbox"}
    assert wired["facts"] == ["tracking"] and wired["filters"] == ["channel"]
    assert wired["erasers"] == ["channels", "commerce", "feedback", "inbox", "tracking"]
    assert wired["exporters"] == ["channels", "commerce", "feedback", "inbox", "timeline", "tracking"]
    assert {"overview", "inbox", "customers", "events", "attribution", "commerce", "settings"} <= set(
        wired["nav"]
    )
    assert {"members", "tokens", "jobs", "inboxes", "webpush", "sources"} <= set(wired["settings_nav"])
    assert wired["directory"]
    assert wired["reply_listeners"] == ["webpush"] and wired["ready_listeners"] == ["webpush"]


@pytest.mark.parametrize("entry", ["serve", "cli"])
def test_every_entry_point_is_fully_wired(entry: str, wired: dict[str, Any], tmp_path: Path) -> None:
    code = SERVE.format(data_dir=str(tmp_path)) if entry == "serve" else CLI
    assert _registries(code, tmp_path) == wired
