"""What a device's kind is called on the profile's Devices card and the timeline's visits (the values of
`tracking.context.device_category`; marked for translation, translated where shown)."""

from __future__ import annotations

from omnicx.kernel.i18n import lazy as N_

DEVICE_KINDS = {
    "desktop": N_("Desktop"),
    "mobile": N_("Mobile"),
    "tablet": N_("Tablet"),
    "bot": N_("Bot"),
    "other": N_("Other device"),
}
