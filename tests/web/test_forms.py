"""Page forms: success redirects, a refused or invalid action re-shows the page with why, and nothing the failed
action left behind survives in the request's session."""

from __future__ import annotations

from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.orm import Session

from omnicx.kernel.errors import Conflict
from omnicx.kernel.web.forms import redirect_or_page


class Price(BaseModel):
    amount: int = Field(ge=0)


def shown(message: str, status: int) -> HTMLResponse:
    return HTMLResponse(message, status_code=status)


def test_a_successful_action_redirects() -> None:
    response = redirect_or_page(lambda: None, to="/done", page=shown)
    assert response.status_code == 303 and response.headers["location"] == "/done"


def test_a_refused_action_shows_the_page_with_its_status_and_rolls_back(db: Session) -> None:
    def refuse() -> object:
        db.execute(text("SELECT 1"))  # the action has started a transaction
        raise Conflict("already taken")

    response = redirect_or_page(refuse, to="/done", page=shown, session=db)
    assert (response.status_code, response.body) == (409, b"already taken")
    assert not db.in_transaction()


def test_invalid_input_is_422_naming_the_field(db: Session) -> None:
    def invalid() -> object:
        db.execute(text("SELECT 1"))
        return Price(amount=-1)

    response = redirect_or_page(invalid, to="/done", page=shown, session=db)
    assert response.status_code == 422
    assert bytes(response.body).startswith(b"amount: Input should be greater than or equal to 0")
    assert not db.in_transaction()
