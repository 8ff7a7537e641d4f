"""Errors of the journeys domain: what a caller asked for that cannot be computed, saved funnels not found or
named twice."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Invalid, NotFound


class InvalidFunnel(Invalid):
    """A funnel's steps, range or window cannot be computed (a step written wrongly, a range backwards)."""

    code = "invalid_funnel"


class InvalidJourneyMap(Invalid):
    """A journey map's stages or rules cannot be used (a rule written wrongly, a stage that does not exist)."""

    code = "invalid_journey_map"


class InvalidRange(Invalid):
    """A report's range runs backwards, is too long, or is beyond the calendar."""

    code = "invalid_range"


class SavedFunnelNotFound(NotFound):
    code = "saved_funnel_not_found"


class FunnelNameTaken(Conflict):
    """The workspace already has a saved funnel of that name."""

    code = "funnel_name_taken"
