"""Importing historical events from a file (JSON lines, or CSV with dotted column names), resumably.

The file is read in chunks of lines; each chunk is validated and stored exactly like a collection request
(same validation, same `messageId` deduplication, same processing job) and the byte offset reached is saved in
the same transaction. A re-run of the same file resumes after the last committed chunk, and anything re-sent
is deduplicated anyway. CSV cells may not contain line breaks.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.kernel.db import new_id, utcnow
from omnicx.tracking.errors import ImportFailed
from omnicx.tracking.models import ImportProgress, SourceKind
from omnicx.tracking.schemas import AuthenticatedSource, ImportReport
from omnicx.tracking.service.ingest import split_valid, store
from omnicx.tracking.service.sources import ensure_source
from omnicx.tracking.wire import Received

CHUNK_LINES = 1000
DEFAULT_SOURCE = "import"
Progress = Callable[[int, int], None]
_NUMBER = frozenset("0123456789-.")


def _file_key(path: Path) -> str:
    """Same path and same first 4 KB: the same file (so a re-run resumes, a different file starts over)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    return hashlib.sha256(str(path.resolve()).encode() + b"\0" + head).hexdigest()


def _cell(value: str) -> Any:
    """CSV cells are text; numbers, booleans and JSON objects written in a cell are read as such."""
    if value in ("true", "false") or (value and (value[0] in "{[" or set(value) <= _NUMBER)):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _nest(header: list[str], cells: list[str]) -> dict[str, Any]:
    """`properties.price` -> {"properties": {"price": ...}}; empty cells are left out."""
    event: dict[str, Any] = {}
    for name, value in zip(header, cells, strict=False):
        if value == "":
            continue
        *parents, leaf = name.split(".")
        target = event
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = _cell(value) if parents else value
    return event


def _parse_line(line: bytes, header: list[str] | None) -> object:
    if header is None:
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            return f"not JSON: {exc}"
    cells = next(csv.reader([line.decode("utf-8", errors="replace")]), [])
    return _nest(header, cells)


def _chunks(
    handle: BinaryIO, offset: int, header: list[str] | None
) -> Iterator[tuple[list[object], int, int]]:
    """(parsed events, byte offset after the chunk, lines in the chunk), skipping blank lines."""
    handle.seek(offset)
    events: list[object] = []
    lines = 0
    for line in handle:
        offset += len(line)
        lines += 1
        if line.strip():
            events.append(_parse_line(line.strip(), header))
        if lines >= CHUNK_LINES:
            yield events, offset, lines
            events, lines = [], 0
    if lines:
        yield events, offset, lines


def _progress_row(
    session: Session, *, workspace_id: uuid.UUID, source_id: uuid.UUID, key: str, path: Path, start: int
) -> ImportProgress:
    row = session.scalar(
        select(ImportProgress).where(
            ImportProgress.workspace_id == workspace_id, ImportProgress.file_key == key
        )
    )
    if row is None:
        row = ImportProgress(
            id=new_id(),
            workspace_id=workspace_id,
            source_id=source_id,
            file_key=key,
            path=str(path.resolve()),
            byte_offset=start,
            lines_done=0,
            accepted=0,
            duplicates=0,
            rejected=0,
            updated_at=utcnow(),
        )
        session.add(row)
        session.commit()
    return row


def _csv_header(handle: BinaryIO) -> tuple[list[str], int]:
    first = handle.readline()
    header = next(csv.reader([first.decode("utf-8-sig").strip()]), [])
    if not header:
        raise ImportFailed("the CSV file has no header line")
    return [h.strip() for h in header], len(first)


def import_file(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    path: Path,
    source_name: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import `path` into the workspace (source `source_name`, default "import"), resuming a previous run.

    Commits after every chunk. `progress(bytes_done, bytes_total)` is called after each chunk.
    """
    if not path.is_file():
        raise ImportFailed(f"{path} is not a readable file")
    source = ensure_source(
        session, workspace_id=workspace_id, name=source_name or DEFAULT_SOURCE, kind=SourceKind.IMPORT
    )
    authenticated = AuthenticatedSource(id=source.id, workspace_id=workspace_id, name=source.name)
    total = path.stat().st_size
    with path.open("rb") as handle:
        header, body_start = _csv_header(handle) if path.suffix.lower() == ".csv" else (None, 0)
        row = _progress_row(
            session,
            workspace_id=workspace_id,
            source_id=source.id,
            key=_file_key(path),
            path=path,
            start=body_start,
        )
        resumed_from = row.lines_done
        report = ImportReport(
            path=str(path), lines=0, accepted=0, duplicates=0, rejected=0, resumed_from_line=resumed_from
        )
        if progress:
            progress(row.byte_offset, total)
        for events, offset, lines in _chunks(handle, row.byte_offset, header):
            _store_chunk(session, authenticated, row, events, offset=offset, lines=lines, report=report)
            if progress:
                progress(offset, total)
        row.completed_at = utcnow()
        session.commit()
    return report


def _store_chunk(
    session: Session,
    source: AuthenticatedSource,
    row: ImportProgress,
    events: list[object],
    *,
    offset: int,
    lines: int,
    report: ImportReport,
) -> None:
    """Store one chunk and move the saved offset past it, in one transaction."""
    received = Received(at=utcnow(), historical=True)
    rows, rejected = split_valid(events, forced_type=None, received=received)
    result = store(session, source=source, rows=rows, rejected=rejected, received=received)
    row.byte_offset = offset
    row.lines_done += lines
    row.accepted += result.accepted
    row.duplicates += result.duplicates
    row.rejected += result.rejected
    row.updated_at = received.at
    session.commit()
    report.lines += lines
    report.accepted += result.accepted
    report.duplicates += result.duplicates
    report.rejected += result.rejected
    report.suppressed += result.suppressed
