"""The web layer: app factory, middleware, error mapping, shared templates and static files."""
