"""Feedback: what customers say about the service (satisfaction after a conversation), asked on their channel."""
