"""Channels: one sub-module per provider (chat widget, email...), each turning the provider's traffic into the
inbox's normalised messages and delivering the inbox's replies. `registry.adapter_for(kind)` finds one."""
