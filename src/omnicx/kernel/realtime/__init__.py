"""Realtime: a publish/subscribe bus (in-process, or Redis across processes) and the SSE endpoint."""
