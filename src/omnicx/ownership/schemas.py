"""Contracts of the ownership domain: claims and their proofs."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from omnicx.ownership.enums import ClaimKind, ClaimStatus, ProofMethod


class ClaimCreate(BaseModel):
    kind: ClaimKind = Field(
        description="email_address (proven by a code sent to it) or email_domain (by DNS)."
    )
    value: str = Field(min_length=3, max_length=320, description="The address or the domain name.")


class CodeConfirm(BaseModel):
    code: str = Field(min_length=1, max_length=20, description="The code received at the address.")


class ClaimPublic(BaseModel):
    id: uuid.UUID
    kind: ClaimKind
    value: str
    status: ClaimStatus
    method: ProofMethod | None
    dns_name: str | None = Field(description="Domain claims: where to publish the TXT record.")
    dns_record: str | None = Field(description="Domain claims: the TXT record that proves the domain.")
    code_sent_at: datetime | None
    code_expires_at: datetime | None
    verified_at: datetime | None
    verified_by: str
    created_at: datetime


class CodeDelivery(BaseModel):
    """What the channel mails to prove an address: the code, where, until when."""

    claim_id: uuid.UUID
    kind: ClaimKind
    to: str
    code: str
    expires_at: datetime
    workspace_name: str
