"""Access control every layer shares: roles and actions, the caller (`Principal`), password and token hashing,
CSRF, and the directory port through which the web kit authenticates without importing the auth domain."""
