"""The composition root plugs in every job handler a domain offers: a `tasks.HANDLERS` left out of `wire()`
leaves its jobs dying with "no handler is registered"."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import omnicx
from omnicx.app.wiring import wire
from omnicx.kernel.jobs.registry import registered_kinds


def offered_job_kinds() -> set[str]:
    kinds: set[str] = set()
    for package in pkgutil.iter_modules(omnicx.__path__):
        name = f"omnicx.{package.name}.tasks"
        if package.ispkg and importlib.util.find_spec(name) is not None:
            kinds |= set(importlib.import_module(name).HANDLERS)
    return kinds


def test_every_job_handler_a_domain_offers_is_wired() -> None:
    wire()

    offered = offered_job_kinds()
    assert "inbox.deliver" in offered
    assert offered - set(registered_kinds()) == set()
