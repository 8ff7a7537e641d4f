"""Start-up wiring of every domain: import each domain's `tasks.py` so what it registers is in place.

A domain's `tasks.py` registers its job handlers and what it plugs into others (timeline and facts providers
of the customer view, privacy erasers and exporters). The web app (`create_app`), the worker and CLI commands
that read across domains call `load_all()` once; importing twice is harmless.
"""

from __future__ import annotations

from omnicx.jobs.registry import discover_handlers


def load_all() -> list[str]:
    """Import every `omnicx.<domain>.tasks` module; returns the modules imported."""
    return discover_handlers()
