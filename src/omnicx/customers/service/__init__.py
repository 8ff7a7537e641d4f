"""Public face of the customers domain. Other domains import from here only (providers register here)."""

from omnicx.customers.labels import device_label
from omnicx.customers.service.profiles import (
    get_customer_360,
    identifiers,
    list_customers,
    merge,
    merge_timeline,
    timeline,
    timeline_export,
)
from omnicx.customers.service.registry import (
    CustomerFilter,
    CustomerGrouping,
    Grouping,
    ProfileFactsProvider,
    TimelineProvider,
    available_filters,
    customer_groupings,
    register_customer_filter,
    register_customer_grouping,
    register_profile_facts_provider,
    register_timeline_provider,
    unregister_provider,
)

__all__ = [
    "CustomerFilter",
    "CustomerGrouping",
    "Grouping",
    "ProfileFactsProvider",
    "TimelineProvider",
    "available_filters",
    "customer_groupings",
    "device_label",
    "get_customer_360",
    "identifiers",
    "list_customers",
    "merge",
    "merge_timeline",
    "register_customer_filter",
    "register_customer_grouping",
    "register_profile_facts_provider",
    "register_timeline_provider",
    "timeline",
    "timeline_export",
    "unregister_provider",
]
