"""The base of the contracts the inbox reads from its table rows."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PublicModel(BaseModel):
    """A contract built from a row (`model_validate(row)` reads its attributes)."""

    model_config = ConfigDict(from_attributes=True)
