"""Workspaces, users, memberships and roles, teams, API tokens, sessions, audit log and the RBAC dependency."""
