"""What every page form does after its action: redirect (POST-redirect-GET), or show the page again with why not."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from omnicx.errors import DomainError


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def redirect_or_page(
    action: Callable[[], object], *, to: str, page: Callable[[str, int], HTMLResponse]
) -> Response:
    """Run a form's action, then send the browser to `to`, or re-show the page with the error's message."""
    try:
        action()
    except DomainError as error:
        return page(error.message, error.status)
    return see_other(to)
