"""Errors of the journeys domain: what a caller asked for that cannot be computed."""

from __future__ import annotations

from omnicx.kernel.errors import Invalid


class InvalidFunnel(Invalid):
    """A funnel's steps, range or window cannot be computed (a step written wrongly, a range backwards)."""

    code = "invalid_funnel"


class InvalidRange(Invalid):
    """A report's range runs backwards, is too long, or is beyond the calendar."""

    code = "invalid_range"
