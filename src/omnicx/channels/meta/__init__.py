"""Messenger and Instagram direct messages: one Meta webhook format, one adapter for both channels."""
