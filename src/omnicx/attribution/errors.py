"""Errors of the attribution domain, each with a stable code (see `omnicx.kernel.errors` for the HTTP mapping)."""

from __future__ import annotations

from omnicx.kernel.errors import Invalid


class AttributionParameterError(Invalid):
    """A model parameter is out of range (order not in 1..3, a negative half-life, position shares over 1)."""

    code = "attribution_parameter_invalid"


class PathSetError(Invalid):
    """The paths handed to the engine are inconsistent: an empty path or channel, a negative or non-finite
    count, a value on a path without conversions, a touch after its conversion.

    `row` (0-based) and `column` (`path`, `conversions`, `value`, `nulls`, `touch_times`) locate the first
    offending entry so that callers reading files can translate them to a line and a column of their own.
    """

    code = "attribution_paths_invalid"

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        located = f"row {row}, {column}: {message}" if row is not None and column else message
        super().__init__(located)
        self.reason = message
        self.row = row
        self.column = column


class PathFileError(Invalid):
    """A path file cannot be read: unknown format, missing column, or a bad value at a given line/column."""

    code = "attribution_path_file_invalid"
