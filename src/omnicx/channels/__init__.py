"""Channels: one sub-module per provider (chat widget, email...), each turning the provider's traffic into the
inbox's `InboundMessage`, handed to its one way in (`inbox.service.ingest`), and delivering the inbox's replies
(`registry.adapter_for(kind)` finds the adapter that sends)."""
