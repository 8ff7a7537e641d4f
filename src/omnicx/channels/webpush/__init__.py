"""Web push: browsers subscribe from a workspace's sites (VAPID, RFC 8292) and are sent notifications, encrypted
for each browser (RFC 8291), when an agent replies to their customer or the customer's order is ready."""
