"""What a device's kind is called on the profile's Devices card and the timeline's visits (the values of
`tracking.context.device_category`; marked for translation, translated where shown)."""

from __future__ import annotations

from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import name_of

DEVICE_KINDS = {
    "desktop": N_("Desktop"),
    "mobile": N_("Mobile"),
    "tablet": N_("Tablet"),
    "bot": N_("Bot"),
    "other": N_("Other device"),
}


def device_label(kind: str) -> str:
    """A device kind as the reader's language names it; a kind omnicx does not know, as recorded."""
    return name_of(DEVICE_KINDS, kind)


#: Segment's reserved traits (in its camelCase and the snake_case some SDKs send) as the profile names them; any
#: other trait is the site's own and keeps its key.
TRAIT_NAMES = {
    "address": N_("Address"),
    "age": N_("Age"),
    "avatar": N_("Avatar"),
    "birthday": N_("Birthday"),
    "company": N_("Company"),
    "createdAt": N_("Signed up"),
    "created_at": N_("Signed up"),
    "description": N_("Description"),
    "email": N_("Email"),
    "firstName": N_("First name"),
    "first_name": N_("First name"),
    "gender": N_("Gender"),
    "lastName": N_("Last name"),
    "last_name": N_("Last name"),
    "name": N_("Name"),
    "phone": N_("Phone"),
    "title": N_("Job title"),
    "username": N_("Username"),
    "website": N_("Website"),
}
