"""Journeys: how customers move through steps, pages and channels, computed in the analytics engine's copy."""
