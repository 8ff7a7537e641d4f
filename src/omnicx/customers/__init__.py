"""Customers: the 360 view of one person (profile, identifiers, devices, timeline across every channel)."""
