"""What a source's kind is called on pages and the customer's timeline (marked for translation, translated where
shown)."""

from __future__ import annotations

from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import name_of
from omnicx.tracking.models import SourceKind

SOURCE_KIND_NAMES = {
    SourceKind.WEB: N_("Website"),
    SourceKind.APP: N_("App"),
    SourceKind.SERVER: N_("Server"),
    SourceKind.IMPORT: N_("Import"),
    SourceKind.OTHER: N_("Other"),
}

#: The channels omnicx names itself: GA4's default channel group, the contact channels logged by hand, and the
#: conversation channels an inbox credits. Stored under these English names (the attribution data's keys, the
#: same in every language), shown translated; a workspace's own rule names are shown as written.
CHANNEL_NAMES = {
    name: name
    for name in (
        N_("Direct"),
        N_("Cross-network"),
        N_("Paid Shopping"),
        N_("Paid Search"),
        N_("Paid Social"),
        N_("Paid Video"),
        N_("Display"),
        N_("Paid Other"),
        N_("Organic Shopping"),
        N_("Organic Social"),
        N_("Organic Video"),
        N_("Organic Search"),
        N_("Referral"),
        N_("Email"),
        N_("Affiliates"),
        N_("Audio"),
        N_("SMS"),
        N_("Mobile Push Notifications"),
        N_("Unassigned"),
        N_("Phone"),
        N_("Store"),
        N_("Live chat"),
        N_("WhatsApp"),
        N_("Messenger"),
        N_("Instagram"),
        N_("Telegram"),
    )
}


def channel_label(channel: str) -> str:
    """A channel as the reader's language names it: omnicx's own channel names translated, a workspace's own
    rule names as written (gettext would leave them alone anyway, unless one happened to be a msgid of some
    other page)."""
    return name_of(CHANNEL_NAMES, channel)
