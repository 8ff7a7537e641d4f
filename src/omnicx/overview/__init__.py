"""The Overview: one page that tells the workspace's story, composed from the other domains' public services."""
