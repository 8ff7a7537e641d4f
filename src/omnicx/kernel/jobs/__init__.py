"""Durable jobs: an outbox table written with the business data, a worker with retries and a dead letter."""
