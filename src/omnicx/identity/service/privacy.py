"""Privacy: suppress (stop collecting), erase (as a durable job) and export everything about a customer.

Other domains hold data about customers too (events, conversations, orders). They plug in without identity
importing them: the composition root (`omnicx.app.wiring`) registers each domain's eraser and exporter with
`register_eraser(name, fn)` and `register_exporter(name, fn)` before anything serves. Both get the
`DataSubject`: the customer ids (the survivor and every id merged into it), the identifiers and, for an
erasure, the data directory (where files such as attachments live). An eraser deletes or anonymises what its
domain holds in the job's transaction and returns how many rows it touched; an exporter returns
JSON-serialisable data.

Every action is audited (`customer.exported`, `customer.erase_requested`, `customer.deleted`,
`identifier.suppressed`, `identifier.unsuppressed`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from omnicx.analytics.enums import Stream
from omnicx.auth import service as auth_service
from omnicx.identity.errors import CustomerNotFound, ErasureNotFound, SuppressionNotFound
from omnicx.identity.models import Customer, CustomerIdentifier, Merge, Suppression
from omnicx.identity.schemas import (
    CustomerExport,
    CustomerPublic,
    DataSubject,
    ErasureStatus,
    Identifier,
    SuppressionPublic,
)
from omnicx.identity.service.consent import customer_consents
from omnicx.identity.service.customers import customer_lineage, list_identifiers, list_merges
from omnicx.identity.service.normalise import normalised_or_raise
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.jobs.errors import JobNotFound
from omnicx.kernel.jobs.feed import record_changes
from omnicx.kernel.web.schemas import Page

log = logging.getLogger("omnicx.identity")

ERASE_JOB = "identity.erase_customer"

Eraser = Callable[[Session, DataSubject], int | None]
Exporter = Callable[[Session, DataSubject], Any]

_ERASERS: dict[str, Eraser] = {}
_EXPORTERS: dict[str, Exporter] = {}


def register_eraser(name: str, eraser: Eraser) -> None:
    """Have `eraser(session, subject)` run in every erasure job (before identity deletes the profile)."""
    _ERASERS[name] = eraser


def register_exporter(name: str, exporter: Exporter) -> None:
    """Add `exporter(...)`'s answer to every export, under `sections[name]`."""
    _EXPORTERS[name] = exporter


def unregister(name: str) -> None:
    """Remove an eraser and exporter registered under `name` (tests, plug-ins being unloaded)."""
    _ERASERS.pop(name, None)
    _EXPORTERS.pop(name, None)


def registered_erasers() -> list[str]:
    """Names of the erasers every erasure runs."""
    return sorted(_ERASERS)


def registered_exporters() -> list[str]:
    """Names of the sections every export carries beside identity's own records."""
    return sorted(_EXPORTERS)


def _suppress(session: Session, principal: Principal, identifier: Identifier) -> Suppression:
    row = session.scalar(
        select(Suppression).where(
            Suppression.workspace_id == principal.workspace_id,
            Suppression.kind == identifier.kind,
            Suppression.value == identifier.value,
        )
    )
    if row is not None:
        return row
    row = Suppression(
        id=new_id(),
        workspace_id=principal.workspace_id,
        kind=identifier.kind,
        value=identifier.value,
        created_by=principal.label[:320],
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="identifier.suppressed",
        target_type="suppression",
        target_id=str(row.id),
        detail={"kind": identifier.kind.value},
    )
    return row


def suppress(session: Session, *, principal: Principal, identifier: Identifier) -> SuppressionPublic:
    """Stop collecting for `identifier` (idempotent); tracking checks `is_suppressed`, `resolve` honours it."""
    row = _suppress(session, principal, normalised_or_raise(identifier))
    session.commit()
    return SuppressionPublic.model_validate(row)


def suppress_customer(
    session: Session, *, principal: Principal, customer_id: uuid.UUID
) -> list[SuppressionPublic]:
    """Suppress every identifier the customer holds (the profile stays until it is erased)."""
    identifiers = list_identifiers(session, workspace_id=principal.workspace_id, customer_id=customer_id)
    rows = [_suppress(session, principal, Identifier(kind=i.kind, value=i.value)) for i in identifiers]
    session.commit()
    return [SuppressionPublic.model_validate(r) for r in rows]


def unsuppress(session: Session, *, principal: Principal, suppression_id: uuid.UUID) -> None:
    """Allow collection again for a suppressed identifier."""
    row = session.scalar(
        select(Suppression).where(
            Suppression.workspace_id == principal.workspace_id, Suppression.id == suppression_id
        )
    )
    if row is None:
        raise SuppressionNotFound(f"suppression {suppression_id} not found")
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="identifier.unsuppressed",
        target_type="suppression",
        target_id=str(row.id),
        detail={"kind": row.kind.value},
    )
    session.delete(row)
    session.commit()


def list_suppressions(
    session: Session, *, workspace_id: uuid.UUID, offset: int = 0, limit: int = 50
) -> Page[SuppressionPublic]:
    stmt = select(Suppression).where(Suppression.workspace_id == workspace_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Suppression.created_at.desc(), Suppression.id.desc()).offset(offset).limit(limit)
    )
    return Page[SuppressionPublic](
        items=[SuppressionPublic.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )


def request_erasure(
    session: Session, *, principal: Principal, customer_id: uuid.UUID, suppress_identifiers: bool = False
) -> ErasureStatus:
    """Queue the erasure of a customer (and every profile merged into it) as a durable job; audited, committed.

    With `suppress_identifiers`, collection stops at once, before the job runs, and stays stopped after it.
    Requesting twice returns the same job.
    """
    lineage = customer_lineage(session, workspace_id=principal.workspace_id, customer_id=customer_id)
    if suppress_identifiers:
        for identifier in list_identifiers(
            session, workspace_id=principal.workspace_id, customer_id=lineage[0]
        ):
            _suppress(session, principal, Identifier(kind=identifier.kind, value=identifier.value))
    job_id = jobs_service.enqueue(
        session,
        kind=ERASE_JOB,
        payload={"customer_id": str(lineage[0]), "requested_by": principal.label},
        workspace_id=principal.workspace_id,
        idempotency_key=f"{principal.workspace_id}:{lineage[0]}",
    )
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="customer.erase_requested",
        target_type="customer",
        target_id=str(lineage[0]),
        detail={"job_id": str(job_id)},
    )
    session.commit()
    return erasure_status(session, workspace_id=principal.workspace_id, job_id=job_id)


def erasure_status(session: Session, *, workspace_id: uuid.UUID, job_id: uuid.UUID) -> ErasureStatus:
    """Where an erasure stands (its job's status)."""
    try:
        job = jobs_service.get_job(session, job_id=job_id, workspace_id=workspace_id)
    except JobNotFound:
        raise ErasureNotFound(f"erasure {job_id} not found") from None
    if job.kind != ERASE_JOB:
        raise ErasureNotFound(f"erasure {job_id} not found")
    return ErasureStatus(
        job_id=job.id,
        customer_id=uuid.UUID(str(job.payload["customer_id"])),
        status=job.status.value,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def _subject(
    session: Session, workspace_id: uuid.UUID, lineage: list[uuid.UUID], data_dir: Path | None
) -> DataSubject:
    identifiers = list_identifiers(session, workspace_id=workspace_id, customer_id=lineage[0])
    return DataSubject(
        workspace_id=workspace_id,
        customer_ids=tuple(lineage),
        identifiers=tuple(Identifier(kind=i.kind, value=i.value) for i in identifiers),
        data_dir=data_dir,
    )


def erase_customer(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_id: uuid.UUID,
    data_dir: Path,
    actor_label: str = "system",
) -> dict[str, int]:
    """Erase the customer, every customer merged into it, their identifiers and merge log, and what every
    registered eraser holds (files under `data_dir` included); returns rows erased per part. Idempotent: an
    already erased customer is a no-op. Runs inside the erasure job's transaction (flushes, the worker
    commits)."""
    try:
        lineage = customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    except CustomerNotFound:
        return {}
    subject = _subject(session, workspace_id, lineage, data_dir)
    erased = {name: int(eraser(session, subject) or 0) for name, eraser in _ERASERS.items()}
    erased["merges"] = _delete(
        session,
        delete(Merge).where(
            Merge.workspace_id == workspace_id,
            or_(Merge.source_id.in_(lineage), Merge.target_id.in_(lineage)),
        ),
    )
    erased["identifiers"] = _delete(
        session,
        delete(CustomerIdentifier).where(
            CustomerIdentifier.workspace_id == workspace_id, CustomerIdentifier.customer_id.in_(lineage)
        ),
    )
    session.execute(update(Customer).where(Customer.id.in_(lineage)).values(merged_into_id=None))
    # The analytics copy rewrites its files without these customers, then reloads the workspace's merges.
    record_changes(session, workspace_id=workspace_id, stream=Stream.ERASURE.value, upserted=lineage)
    record_changes(
        session, workspace_id=workspace_id, stream=Stream.CUSTOMER_MAP.value, upserted=[workspace_id]
    )
    erased["customers"] = _delete(
        session, delete(Customer).where(Customer.workspace_id == workspace_id, Customer.id.in_(lineage))
    )
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        actor_label=actor_label or "system",
        action="customer.deleted",
        target_type="customer",
        target_id=str(lineage[0]),
        detail=dict(erased),
    )
    session.flush()
    log.info("identity: erased customer %s (%s)", lineage[0], erased)
    return erased


def _delete(session: Session, stmt: Any) -> int:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def export_customer(session: Session, *, principal: Principal, customer_id: uuid.UUID) -> CustomerExport:
    """Everything about one customer: profile, identifiers, merges, and each registered exporter's section.

    Audited and committed (an export of personal data is itself a fact to keep).
    """
    workspace_id = principal.workspace_id
    lineage = customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    customer = session.get_one(Customer, lineage[0])
    subject = _subject(session, workspace_id, lineage, None)
    export = CustomerExport(
        exported_at=utcnow(),
        customer=CustomerPublic.model_validate(customer),
        merged_customer_ids=lineage[1:],
        identifiers=list_identifiers(session, workspace_id=workspace_id, customer_id=lineage[0]),
        merges=list_merges(session, workspace_id=workspace_id, customer_id=lineage[0]),
        consents=customer_consents(session, workspace_id=workspace_id, customer_id=lineage[0]),
        sections={name: exporter(session, subject) for name, exporter in _EXPORTERS.items()},
    )
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        action="customer.exported",
        target_type="customer",
        target_id=str(lineage[0]),
        detail={"sections": sorted(export.sections)},
    )
    session.commit()
    return export
