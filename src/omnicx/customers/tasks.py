"""Start-up wiring of the customers domain (imported by `omnicx.domains.load_all`).

Identity's merge log joins every timeline, and privacy exports carry the whole timeline.
"""

from __future__ import annotations

from omnicx.customers import service
from omnicx.identity import service as identity_service

service.register_timeline_provider("identity", service.merge_timeline)
identity_service.register_exporter("timeline", service.timeline_export)
