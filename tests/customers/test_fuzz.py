"""Generated requests to the customers and identity APIs never make the server fail (both databases)."""

from __future__ import annotations

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.customers.conftest import make_customer

PREFIXES = ("/api/v1/customers", "/api/v1/identity")


def test_no_server_errors_on_generated_requests(app: FastAPI, db: Session, world: World) -> None:
    make_customer(db, world.workspace.id, ("email", "fuzz@example.com"), ("user_id", "fuzz"))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith(PREFIXES)]
    assert len(operations) >= 10
    headers = world.token(Role.OWNER)
    failures: list[str] = []
    for operation in operations:

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )
            elif response.status_code >= 400:
                assert {"code", "message"} <= set(response.json()), (case.method, case.formatted_path)

        check()
    assert not failures, "\n".join(failures)
