"""A report page's range: the days asked, the last N days by default, and the default with the refusal's message
when the days asked are refused (the inbox reports, contact reasons and satisfaction pages share it)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import Invalid
from omnicx.kernel.web.forms import in_range
from tests.conftest import World
from tests.helpers import sign_in

TODAY = date(2026, 3, 31)


def _report(start: date, end: date) -> tuple[date, date]:
    if start > end:
        raise Invalid("the start date is after the end date")
    return start, end


def test_the_days_asked_the_default_and_the_fallback() -> None:
    assert in_range(_report, date(2026, 3, 1), date(2026, 3, 5), days=30, today=TODAY) == (
        (date(2026, 3, 1), date(2026, 3, 5)),
        None,
    )
    assert in_range(_report, None, None, days=30, today=TODAY) == ((date(2026, 3, 2), TODAY), None)
    assert in_range(_report, date(2026, 3, 9), date(2026, 3, 1), days=30, today=TODAY) == (
        (date(2026, 3, 2), TODAY),
        "the start date is after the end date",
    )


def test_the_contact_reasons_page_falls_back_with_the_message(client: TestClient, world: World) -> None:
    analyst = world.members[Role.ANALYST]
    sign_in(client, analyst.email, analyst.password)
    page = client.get("/inbox/contact-reasons", params={"date_from": "2026-03-09", "date_to": "2026-03-01"})
    assert page.status_code == 200 and "the start date is after the end date" in page.text
