"""Read the analyst path format into a `PathSet`.

One row per distinct path with the columns `path` ("email > search > direct"), `total_conversions`,
`total_conversion_value` and `total_null` (the last two may be absent and then count as 0); other columns are
ignored. This is the format of ChannelAttribution and marketing-attribution-models, so files move freely
between them and omnicx. The file may be CSV (delimiter `;` by default, double quotes), gzip-compressed CSV
or Parquet; the kind is told by its first bytes, never by its name.

DuckDB reads the file (it parses CSV and Parquet in C++ on all cores); the checks are vectorised, and only
when one fails is the file scanned again to name the exact line. Errors are `PathFileError`s whose message
names the line (Parquet: the row) and the column, e.g. ``line 7, column total_null: 'abc' is not a number``.
Line numbers count the header as line 1.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO, cast

import duckdb
import numpy as np
import numpy.typing as npt

from omnicx.attribution.engine import PathSet
from omnicx.attribution.errors import PathFileError, PathSetError

PATH, CONVERSIONS, VALUE, NULLS = "path", "total_conversions", "total_conversion_value", "total_null"
REQUIRED = (PATH, CONVERSIONS)
NUMERIC = (CONVERSIONS, VALUE, NULLS)
#: Engine field -> file column, to translate the engine's errors.
_FILE_COLUMN = {"path": PATH, "conversions": CONVERSIONS, "value": VALUE, "nulls": NULLS}
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"

Progress = Callable[[str], None]


class FileFormat(StrEnum):
    CSV = "csv"
    GZIP_CSV = "gzip-csv"
    PARQUET = "parquet"


@dataclass(frozen=True)
class _Source:
    """Where the data comes from, and how to name a place in it."""

    file: Path
    format: FileFormat
    delimiter: str

    def place(self, row: int) -> str:
        """'line N' (CSV, header = line 1) or 'row N' (Parquet, 1-based) of the 0-based data row `row`."""
        if self.format is FileFormat.PARQUET:
            return f"row {row + 1}"
        return f"line {_line_of_row(self, row)}"


def detect_format(file: Path) -> FileFormat:
    """Tell gzip, Parquet and plain CSV apart by their magic bytes."""
    with _opening(file), file.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(_GZIP_MAGIC):
        return FileFormat.GZIP_CSV
    if head == _PARQUET_MAGIC:
        return FileFormat.PARQUET
    return FileFormat.CSV


def read_path_file(
    file: Path, *, delimiter: str = ";", sep: str = ">", on_progress: Progress | None = None
) -> PathSet:
    """Read, check and parse a path file; raises `PathFileError` naming the first bad line and column."""
    report = on_progress or (lambda _: None)
    if len(delimiter) != 1:
        raise PathFileError(f"the delimiter must be one character, not {delimiter!r}")
    source = _Source(file, detect_format(file), delimiter)
    report(f"reading {source.format} file")
    columns = _read_columns(source)
    report("checking values")
    counts = {name: _checked_numbers(source, name, columns[name]) for name in NUMERIC}
    paths = _checked_paths(source, columns[PATH])
    report(f"parsing {len(paths):,} paths")
    try:
        return PathSet.from_strings(
            paths, conversions=counts[CONVERSIONS], value=counts[VALUE], nulls=counts[NULLS], sep=sep
        )
    except PathSetError as error:
        raise _located(source, error) from None


def _located(source: _Source, error: PathSetError) -> PathFileError:
    if error.row is None:
        return PathFileError(f"{source.file}: {error.reason}")
    column = _FILE_COLUMN.get(error.column or "", error.column)
    return PathFileError(f"{source.place(error.row)}, column {column}: {error.reason}")


@contextmanager
def _opening(file: Path) -> Iterator[None]:
    """Turn the operating system's refusal to read a file into a one-line domain error."""
    try:
        yield
    except OSError as error:
        raise PathFileError(f"{file}: cannot read the file ({error.strerror or error})") from None


def _read_columns(source: _Source) -> dict[str, Any]:
    with duckdb.connect(":memory:") as con:
        con.execute("SET enable_progress_bar = false")
        try:
            if source.format is FileFormat.PARQUET:
                return _read_parquet(con, source)
            return _read_csv(con, source)
        except duckdb.Error as error:
            first_line = str(error).strip().splitlines()[0]
            raise PathFileError(f"{source.file}: cannot read as {source.format} ({first_line})") from None


def _read_csv(con: duckdb.DuckDBPyConnection, source: _Source) -> dict[str, Any]:
    header = _csv_header(source)
    types = {name: "DOUBLE" if name in NUMERIC else "VARCHAR" for name in header}
    compression = "gzip" if source.format is FileFormat.GZIP_CSV else "none"
    selected = ", ".join(f"{_quoted(n) if n in header else '0.0'} AS {_quoted(n)}" for n in (PATH, *NUMERIC))
    # Identifiers are this module's constants, quoted; the file and options are bound parameters.
    query = (
        f"SELECT {selected} FROM read_csv(?, delim = ?, header = true, auto_detect = false, columns = ?,"  # noqa: S608
        f" quote = '\"', escape = '\"', compression = '{compression}', store_rejects = true)"
    )
    data: dict[str, Any] = con.execute(query, [str(source.file), source.delimiter, types]).fetchnumpy()
    _raise_rejects(con, source)
    return data


def _read_parquet(con: duckdb.DuckDBPyConnection, source: _Source) -> dict[str, Any]:
    """Parquet columns may hold text: numbers are cast, and a value that does not cast is reported."""
    file = [str(source.file)]
    header = [row[0] for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", file).fetchall()]
    _require(header, source)
    query = f"SELECT {', '.join(_parquet_columns(header))} FROM read_parquet(?)"  # noqa: S608 (constants)
    data: dict[str, Any] = con.execute(query, file).fetchnumpy()
    for name in NUMERIC:
        bad = np.flatnonzero(np.ma.filled(data.pop(f"bad {name}"), False))
        if bad.size:
            row = int(bad[0])
            raw_query = f"SELECT CAST({_quoted(name)} AS VARCHAR) FROM read_parquet(?) LIMIT 1 OFFSET {row}"  # noqa: S608
            raw = con.execute(raw_query, file).fetchone()
            raise PathFileError(
                f"{source.place(row)}, column {name}: {raw[0] if raw else '?'!r} is not a number"
            )
    return data


def _parquet_columns(header: list[str]) -> list[str]:
    parts = [f"CAST({_quoted(PATH)} AS VARCHAR) AS {_quoted(PATH)}"]
    for name in NUMERIC:
        col, flag = _quoted(name), _quoted(f"bad {name}")
        if name in header:
            parts.append(f"TRY_CAST({col} AS DOUBLE) AS {col}")
            parts.append(f"({col} IS NOT NULL AND TRY_CAST({col} AS DOUBLE) IS NULL) AS {flag}")
        else:
            parts.extend([f"0.0 AS {col}", f"false AS {flag}"])
    return parts


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def _text(source: _Source) -> Iterator[TextIO]:
    """The file as text (decompressed if needed, a UTF-8 byte-order mark dropped)."""
    with _opening(source.file):
        if source.format is FileFormat.GZIP_CSV:
            with gzip.open(source.file, "rt", encoding="utf-8-sig", newline="") as handle:
                yield handle
        else:
            with source.file.open(encoding="utf-8-sig", newline="") as handle:
                yield handle


def _csv_header(source: _Source) -> list[str]:
    try:
        with _text(source) as handle:
            header = next(csv.reader(handle, delimiter=source.delimiter), None)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as error:
        raise PathFileError(f"{source.file}: cannot read the header ({error})") from None
    if not header:
        raise PathFileError(f"{source.file}: the file is empty (a header line is expected)")
    header = [name.strip() for name in header]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise PathFileError(f"line 1: duplicated column {duplicated[0]}")
    _require(header, source)
    return header


def _require(header: list[str], source: _Source) -> None:
    for name in REQUIRED:
        if name not in header:
            found = ", ".join(header) if header else "none"
            hint = f"; is the delimiter {source.delimiter!r} right?" if len(header) == 1 else ""
            raise PathFileError(f"missing column {name} (columns found: {found}{hint})")


def _raise_rejects(con: duckdb.DuckDBPyConnection, source: _Source) -> None:
    """Turn DuckDB's first rejected CSV line into a message naming the line and the column."""
    reject = con.execute(
        "SELECT line, column_idx, column_name, error_type, csv_line, error_message"
        " FROM reject_errors ORDER BY line LIMIT 1"
    ).fetchone()
    if reject is None:
        return
    line, column_idx, column, kind, raw_line, message = reject
    if kind == "CAST":
        fields = next(csv.reader(io.StringIO(str(raw_line).strip("\r\n")), delimiter=source.delimiter), [])
        value = fields[column_idx - 1] if 0 < column_idx <= len(fields) else "?"
        raise PathFileError(f"line {line}, column {column}: {value!r} is not a number")
    if kind in {"MISSING COLUMNS", "TOO MANY COLUMNS"}:
        raise PathFileError(f"line {line}: wrong number of fields ({message})")
    raise PathFileError(f"line {line}: {message}")


def _checked_numbers(source: _Source, name: str, column: Any) -> npt.NDArray[np.float64]:
    """The column as float64; an empty cell is an error, not a silent zero."""
    missing = np.ma.getmaskarray(column)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise PathFileError(f"{source.place(row)}, column {name}: empty value")
    values: npt.NDArray[np.float64] = np.ma.getdata(column).astype(np.float64, copy=False)
    return values


def _checked_paths(source: _Source, column: Any) -> list[str]:
    paths: list[str | None] = column.tolist()
    if None in paths:
        row = paths.index(None)
        raise PathFileError(f"{source.place(row)}, column {PATH}: empty path")
    return cast(list[str], paths)


def _line_of_row(source: _Source, row: int) -> int:
    """Line number of a data row, found by reading the CSV again (quoted newlines and blank lines counted the
    way DuckDB counts them). Runs only when reporting an error."""
    with _text(source) as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        next(reader, None)
        seen = -1
        for record in reader:
            if record:
                seen += 1
            if seen == row:
                return reader.line_num
    return row + 2
