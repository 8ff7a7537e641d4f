"""The input of every model: paths of channels with what they led to, stored column by column.

Models are vectorised over all touches at once, so paths are kept as one flat array of channel ids (`touches`)
cut by `offsets`, plus one number per path for conversions, value and nulls (paths that did not convert).
Build a `PathSet` once with `from_strings`, `from_arrays` or `from_paths`; every model then reads it without
copying. Channel ids index `channels` (sorted by name when built from strings or `Path`s).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from omnicx.attribution.engine._tokenize import tokenize
from omnicx.attribution.errors import PathSetError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
IndexArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Moment = datetime | float
_A = TypeVar("_A", bound="np.ndarray[Any, Any]")

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Path:
    """One journey (or a group of identical journeys): ordered channels and what they led to.

    `conversions` and `nulls` are counts (they may be fractional weights), `value` is the total value of those
    conversions. `touch_times` gives one moment per channel and `conversion_time` the moment of conversion
    (default: the last touch); moments are aware or naive-UTC `datetime`s or Unix timestamps in seconds.
    Only the time-decay model reads times.
    """

    channels: tuple[str, ...]
    conversions: float = 0.0
    value: float = 0.0
    nulls: float = 0.0
    touch_times: tuple[Moment, ...] | None = None
    conversion_time: Moment | None = None


@dataclass(frozen=True, eq=False)
class PathSet:
    """Paths in columns. Use the `from_*` constructors, which validate; the fields are read-only arrays.

    `touch_ages` holds, per touch, the days between the touch and its path's conversion (None if no times).
    """

    channels: tuple[str, ...]
    touches: IntArray
    offsets: IndexArray
    conversions: FloatArray
    value: FloatArray
    nulls: FloatArray
    touch_ages: FloatArray | None = None

    @classmethod
    def from_strings(
        cls,
        paths: Sequence[str],
        *,
        conversions: npt.ArrayLike,
        value: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        sep: str = ">",
    ) -> PathSet:
        """Parse paths like ``"email > paid search > direct"``: split on `sep`, trim whitespace around names.

        This is the fast route for large inputs (a million paths in well under a second).
        """
        tokens = tokenize(paths if isinstance(paths, list) else list(paths), sep)
        return cls.from_arrays(
            channels=tokens.names,
            touches=tokens.ids,
            offsets=tokens.offsets,
            conversions=conversions,
            value=value,
            nulls=nulls,
        )

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> PathSet:
        """Build from `Path` objects; convenient for small inputs and tests (one Python step per touch)."""
        rows = list(paths)
        names = tuple(sorted({c for row in rows for c in row.channels}))
        index = {name: i for i, name in enumerate(names)}
        touches = [index[c] for row in rows for c in row.channels]
        lengths = [len(row.channels) for row in rows]
        has_times = [row.touch_times is not None for row in rows]
        if any(has_times) and not all(has_times):
            raise PathSetError("either every path or no path has touch times", column="touch_times")
        return cls.from_arrays(
            channels=names,
            touches=np.asarray(touches, dtype=np.int32),
            offsets=np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))),
            conversions=[row.conversions for row in rows],
            value=[row.value for row in rows],
            nulls=[row.nulls for row in rows],
            touch_ages=_ages_of(rows) if rows and all(has_times) else None,
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        channels: Sequence[str],
        touches: npt.ArrayLike,
        offsets: npt.ArrayLike,
        conversions: npt.ArrayLike,
        value: npt.ArrayLike | None = None,
        nulls: npt.ArrayLike | None = None,
        touch_ages: npt.ArrayLike | None = None,
    ) -> PathSet:
        """Validate and wrap columns: `touches[offsets[i]:offsets[i + 1]]` are the channel ids of path `i`.

        `touch_ages` are days from each touch to its conversion (>= 0). Arrays are copied only when their
        dtype differs; the path set keeps read-only views of them.
        """
        names = tuple(channels)
        offs = _readonly(np.asarray(offsets, dtype=np.int64))
        n = offs.size - 1
        conv = _counts(conversions, n, "conversions")
        paths = cls(
            channels=names,
            touches=_readonly(np.asarray(touches, dtype=np.int32)),
            offsets=offs,
            conversions=conv,
            value=_counts(value, n, "value"),
            nulls=_counts(nulls, n, "nulls"),
            touch_ages=None if touch_ages is None else _readonly(np.asarray(touch_ages, dtype=np.float64)),
        )
        paths._validate()
        return paths

    def __len__(self) -> int:
        return self.offsets.size - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @cached_property
    def lengths(self) -> IndexArray:
        """Touches per path."""
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> IntArray:
        """For each touch, the index of its path (lets per-path numbers be spread over touches)."""
        return np.repeat(np.arange(len(self), dtype=np.int32), self.lengths)

    @cached_property
    def position(self) -> IndexArray:
        """For each touch, its 0-based position within its path."""
        return np.arange(self.touches.size, dtype=np.int64) - np.repeat(self.offsets[:-1], self.lengths)

    @property
    def first_touch(self) -> IntArray:
        return self.touches[self.offsets[:-1]]

    @property
    def last_touch(self) -> IntArray:
        return self.touches[self.offsets[1:] - 1]

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    def channel_ids(self, names: Iterable[str], *, casefold: bool = False) -> IntArray:
        """Ids of the channels in `names` (case-insensitive if `casefold`); unknown names are skipped."""
        wanted = {n.casefold() if casefold else n for n in names}
        found = [i for i, c in enumerate(self.channels) if (c.casefold() if casefold else c) in wanted]
        return np.asarray(found, dtype=np.int32)

    def _validate(self) -> None:
        if len(set(self.channels)) != len(self.channels) or not all(self.channels):
            raise PathSetError("channel names must be unique and non-empty", column="path")
        offs = self.offsets
        if offs.size == 0 or offs[0] != 0 or offs[-1] != self.touches.size:
            raise PathSetError("offsets must start at 0 and end at the number of touches", column="path")
        if len(self) and not (np.diff(offs) > 0).all():
            raise PathSetError("empty path", row=int(np.flatnonzero(np.diff(offs) <= 0)[0]), column="path")
        if self.touches.size and (self.touches.min() < 0 or self.touches.max() >= self.n_channels):
            raise PathSetError("a touch refers to an unknown channel id", column="path")
        bad = np.flatnonzero((self.value > 0) & (self.conversions == 0))
        if bad.size:
            raise PathSetError(
                f"{self.value[bad[0]]:g} on a path with no conversions", row=int(bad[0]), column="value"
            )
        self._validate_ages()

    def _validate_ages(self) -> None:
        ages = self.touch_ages
        if ages is None:
            return
        if ages.shape != self.touches.shape:
            raise PathSetError("touch_ages needs one age per touch", column="touch_times")
        bad = np.flatnonzero(~np.isfinite(ages) | (ages < 0))
        if bad.size:
            row = int(self.path_of_touch[bad[0]])
            raise PathSetError(
                "a touch is after its conversion or has no time", row=row, column="touch_times"
            )


def _readonly(array: _A) -> _A:
    """A read-only view: results built from a path set can never change under a caller's feet."""
    view = array.view()
    view.flags.writeable = False
    return view


def _counts(values: npt.ArrayLike | None, n: int, column: str) -> FloatArray:
    if values is None:
        return _readonly(np.zeros(n, dtype=np.float64))
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (n,):
        raise PathSetError(f"expected {n} numbers, got shape {array.shape}", column=column)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if bad.size:
        number = array[bad[0]]
        reason = "is not a finite number" if not np.isfinite(number) else "is negative"
        raise PathSetError(f"{number:g} {reason}", row=int(bad[0]), column=column)
    return _readonly(array)


def _seconds(moment: Moment) -> float:
    if isinstance(moment, datetime):
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.timestamp()
    return float(moment)


def _ages_of(rows: list[Path]) -> FloatArray:
    """Days from each touch to its path's conversion (the last touch when the conversion time is unknown)."""
    ages: list[float] = []
    for row, path in enumerate(rows):
        times = [_seconds(t) for t in path.touch_times or ()]
        if len(times) != len(path.channels):
            raise PathSetError("touch_times needs one time per channel", row=row, column="touch_times")
        end = _seconds(path.conversion_time) if path.conversion_time is not None else max(times, default=0.0)
        ages.extend((end - t) / SECONDS_PER_DAY for t in times)
    return np.asarray(ages, dtype=np.float64)
