"""WhatsApp through Meta's Cloud API: the webhook's verification handshake, signed notifications of messages and
statuses, replies and templates through the Graph API."""
