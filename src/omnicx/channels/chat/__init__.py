"""Live chat: the embeddable widget script and the visitor's public endpoints."""
