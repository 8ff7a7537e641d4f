"""Public face of the identity domain. Other domains import from here only.

Resolution (`resolve`, `resolve_many`, `alias`, `merge_customers`) adds to the caller's session and flushes but
never commits: the caller commits it with its own write. Privacy actions (`suppress`, `request_erasure`,
`export_customer`...) are complete, audited actions and commit.
"""

from omnicx.identity.service.customers import (
    current_customer_id,
    current_customer_ids,
    customer_for,
    customer_lineage,
    customer_workspace,
    get_customer,
    is_suppressed,
    list_identifiers,
    list_merges,
    merge_customers,
    refused_merges,
    search_customers,
    workspaces_with_customers,
)
from omnicx.identity.service.graph import alias, prepare, resolve, resolve_device, resolve_many
from omnicx.identity.service.normalise import BLOCKED_VALUES, is_blocked, normalise
from omnicx.identity.service.privacy import (
    ERASE_JOB,
    Eraser,
    Exporter,
    erase_customer,
    erasure_status,
    export_customer,
    list_suppressions,
    register_eraser,
    register_exporter,
    request_erasure,
    suppress,
    suppress_customer,
    unregister,
    unsuppress,
)

__all__ = [
    "BLOCKED_VALUES",
    "ERASE_JOB",
    "Eraser",
    "Exporter",
    "alias",
    "current_customer_id",
    "current_customer_ids",
    "customer_for",
    "customer_lineage",
    "customer_workspace",
    "erase_customer",
    "erasure_status",
    "export_customer",
    "get_customer",
    "is_blocked",
    "is_suppressed",
    "list_identifiers",
    "list_merges",
    "list_suppressions",
    "merge_customers",
    "normalise",
    "prepare",
    "refused_merges",
    "register_eraser",
    "register_exporter",
    "request_erasure",
    "resolve",
    "resolve_device",
    "resolve_many",
    "search_customers",
    "suppress",
    "suppress_customer",
    "unregister",
    "unsuppress",
    "workspaces_with_customers",
]
