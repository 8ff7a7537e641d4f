"""Identity graph: identifiers linked to one customer, merge rules, suppression, erasure and export."""
