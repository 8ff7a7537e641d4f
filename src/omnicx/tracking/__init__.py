"""Tracking: Segment-compatible collection, sources and write keys, the event store, sessions and touchpoints."""
