"""Tracking: Segment-compatible collection, sources and write keys, events, sessions and touchpoints."""
