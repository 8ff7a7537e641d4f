"""Shared API contracts: the error body every endpoint may answer with, and a page of a list."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel


class ErrorPublic(BaseModel):
    code: str
    message: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic, "description": "Malformed request"},
    401: {"model": ErrorPublic, "description": "Missing or invalid credentials"},
    403: {"model": ErrorPublic, "description": "The role does not allow this action"},
    404: {"model": ErrorPublic, "description": "Not found in this workspace"},
    409: {"model": ErrorPublic, "description": "Conflicts with the current state"},
    422: {"model": ErrorPublic, "description": "Invalid input"},
}


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int
