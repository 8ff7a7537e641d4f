"""What every page form does after its action: redirect (POST-redirect-GET), or show the page again with why not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicx.kernel.errors import DomainError

T = TypeVar("T")

#: How many of a form's invalid fields the message names (the rest are usually consequences of the first).
SHOWN_FIELD_ERRORS = 3


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def validation_message(error: ValidationError) -> str:
    """A form's invalid input in one line: "field: reason; field: reason"."""
    parts = []
    for item in error.errors()[:SHOWN_FIELD_ERRORS]:
        field = ".".join(str(part) for part in item["loc"])
        parts.append(f"{field}: {item['msg']}" if field else str(item["msg"]))
    return "; ".join(parts)


def redirect_or_page(
    action: Callable[[], object],
    *,
    to: str,
    page: Callable[[str, int], HTMLResponse],
    session: Session | None = None,
) -> Response:
    """Run a form's action, then send the browser to `to`, or re-show the page with the error's message.

    Invalid input (a Pydantic error raised while the action builds its data) is shown like a domain error, with
    status 422. With `session`, whatever the failed action left in it is rolled back before the page is read
    again, so the page shows what is stored and no half-made change is committed later.
    """
    try:
        action()
    except DomainError as error:
        message, status = error.message, error.status
    except ValidationError as error:
        message, status = validation_message(error), 422
    else:
        return see_other(to)
    if session is not None:
        session.rollback()
    return page(message, status)


def in_range(
    compute: Callable[[date, date], T],
    date_from: date | None,
    date_to: date | None,
    *,
    days: int,
    today: date,
) -> tuple[T, str | None]:
    """A report page's report over the days asked (by default the last `days`, today included) and None; when
    those days are refused (backwards, too long), the default range's report and the refusal's message."""
    default_start = today - timedelta(days=days - 1)
    try:
        return compute(date_from or default_start, date_to or today), None
    except DomainError as refused:
        return compute(default_start, today), refused.message
