"""The profile fields kept on a customer row: traits, and the display name, email and phone lists show.

Plain functions on one or two loaded rows, shared by resolution (traits of identify calls) and merges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from omnicx.identity.models import Customer
from omnicx.identity.schemas import Identifier, IdentifierKind

MAX_TRAITS = 200
MAX_NAME = 200


def display_name(traits: Mapping[str, Any]) -> str:
    """The person's name from the usual trait spellings (`name`, `first_name`/`firstName` + last name)."""
    name = traits.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:MAX_NAME]
    first = traits.get("first_name") or traits.get("firstName") or ""
    last = traits.get("last_name") or traits.get("lastName") or ""
    parts = [str(p).strip() for p in (first, last) if isinstance(p, str | int) and str(p).strip()]
    return " ".join(parts)[:MAX_NAME]


def clean(value: Any) -> Any:
    """JSON without NUL characters, which PostgreSQL's JSONB and text columns cannot store."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {clean(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def apply_traits(customer: Customer, traits: Mapping[str, Any]) -> None:
    """Newer trait values win; `None` removes a trait (Segment's convention for unsetting)."""
    merged = dict(customer.traits or {})
    for key, value in clean(dict(traits)).items():
        if value is None:
            merged.pop(key, None)
        elif key in merged or len(merged) < MAX_TRAITS:
            merged[str(key)] = value
    customer.traits = merged
    name = display_name(merged)
    if name:
        customer.display_name = name


def fill_from_identifiers(customer: Customer, identifiers: Iterable[Identifier]) -> None:
    """Email and phone columns keep the first of each kind; lists and search read them without joins."""
    for identifier in identifiers:
        if identifier.kind is IdentifierKind.EMAIL and not customer.email:
            customer.email = identifier.value
        elif identifier.kind is IdentifierKind.PHONE and not customer.phone:
            customer.phone = identifier.value


def merge_profile(*, source: Customer, target: Customer) -> None:
    """The survivor keeps its own values and takes what only the merged customer knew."""
    target.traits = {**(source.traits or {}), **(target.traits or {})}
    target.display_name = target.display_name or source.display_name
    target.email = target.email or source.email
    target.phone = target.phone or source.phone
    target.first_seen_at = _earliest(target.first_seen_at, source.first_seen_at)
    target.last_seen_at = _latest(target.last_seen_at, source.last_seen_at)


def _earliest(a: Any, b: Any) -> Any:
    return min(x for x in (a, b) if x is not None) if (a or b) else None


def _latest(a: Any, b: Any) -> Any:
    return max(x for x in (a, b) if x is not None) if (a or b) else None
