"""Every domain holding personal data about customers takes part in erasures and exports.

The test walks every table of `Base.metadata` (all domains' models, as Alembic sees them). A table with a
`customer_id` column, or with a column of the kinds that hold a person's data (`PERSONAL_COLUMNS`), belongs to
the domain its name starts with; that domain must have an eraser and an exporter registered by the wiring.
Identity's own tables are erased by identity's erasure itself. A table whose such columns are not about
customers (staff accounts, the business's own addresses) is listed in `NOT_ABOUT_CUSTOMERS` with the reason;
a table with a `customer_id` column can never be listed there.

A new table keeping customers' emails, messages or payloads in a domain without an eraser fails here, before an
erasure leaves it behind.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Table

from omnicx.app import models  # noqa: F401  (every domain's tables in Base.metadata)
from omnicx.app.wiring import wire
from omnicx.identity import service as identity_service
from omnicx.kernel.db import Base

PERSONAL_COLUMNS = frozenset(
    {
        "customer_id",
        "email",
        "phone",
        "name",
        "display_name",
        "address",
        "subject",
        "text",
        "html",
        "body",
        "payload",
        "traits",
        "search_text",
        "reference",
        "ip",
        "user_agent",
        "actor_label",
        "author_label",
    }
)
ERASED_BY_IDENTITY = "identity"
NOT_ABOUT_CUSTOMERS = {
    "auth_workspace": "the workspace's own name",
    "auth_user": "members of the workspace (staff), not customers",
    "auth_invitation": "an address invited to join the staff, kept until accepted, withdrawn or the workspace goes",
    "auth_team": "teams of members",
    "auth_api_token": "a token's name, chosen by staff",
    "auth_session": "members' browser sessions",
    "auth_login_attempt": "members' sign-in attempts",
    "auth_audit_log": "staff actions; privacy actions name a customer by id only, never by a personal field",
    "tracking_source": "a site's or app's name",
    "inbox_inbox": "the business's own address (or a widget token) and the inbox's name",
    "inbox_sla_policy": "a policy's name",
    "commerce_location": "a shop's or warehouse's name",
    "journeys_saved_funnel": "a saved funnel's name, chosen by staff; its steps are event names and addresses",
    "jobs_job": "payloads name the rows a job works on by id; no personal field is copied into them",
}


def _personal(table: Table) -> set[str]:
    return {c.name for c in table.columns} & PERSONAL_COLUMNS


def _domain(table: Table) -> str:
    return table.name.partition("_")[0]


def customer_data_tables() -> dict[str, set[str]]:
    """Tables holding customer data, with the personal columns that say so."""
    return {
        t.name: cols
        for t in Base.metadata.sorted_tables
        if (cols := _personal(t)) and t.name not in NOT_ABOUT_CUSTOMERS
    }


def test_the_walk_sees_every_domain_that_holds_customer_data() -> None:
    """The walk is not vacuous: it finds the tables an erasure must reach."""
    tables = customer_data_tables()
    assert {"tracking_event", "inbox_message", "inbox_contact", "commerce_order", "identity_customer"} <= set(
        tables
    )
    assert {_domain(Base.metadata.tables[t]) for t in tables} == {
        "identity",
        "tracking",
        "inbox",
        "commerce",
        "channels",
        "feedback",
    }


@pytest.mark.parametrize("table_name", sorted(customer_data_tables()))
def test_each_table_with_customer_data_has_its_domains_eraser_and_exporter(table_name: str) -> None:
    wire()  # as every entry point does; registering twice replaces
    domain = _domain(Base.metadata.tables[table_name])
    if domain == ERASED_BY_IDENTITY:
        return
    columns = sorted(customer_data_tables()[table_name])
    assert domain in identity_service.registered_erasers(), (
        f"{table_name} holds {columns} but no {domain!r} eraser is registered (app/wiring.py::_privacy)"
    )
    assert domain in identity_service.registered_exporters(), (
        f"{table_name} holds {columns} but no {domain!r} exporter is registered (app/wiring.py::_privacy)"
    )


def test_exemptions_name_real_tables_and_never_one_linked_to_a_customer() -> None:
    for name, reason in NOT_ABOUT_CUSTOMERS.items():
        assert name in Base.metadata.tables, f"{name} is exempted but no longer exists"
        table = Base.metadata.tables[name]
        assert "customer_id" not in table.columns, f"{name} links to customers: {reason!r} cannot hold"
        assert _personal(table), f"{name} holds no personal column any more: drop its exemption"
