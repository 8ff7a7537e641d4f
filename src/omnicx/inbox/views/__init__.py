"""Pages of the inbox, one module per screen: the conversation list (`listing`), one conversation
(`conversation`), the reports, the caller's notifications, agents' availability, and the settings pages for
inboxes, SLA policies and canned responses. The composition root (`omnicx.app.web`) mounts each module's
`router`; `omnicx.app.wiring` puts the entries below in the navigation."""

from __future__ import annotations

from omnicx.inbox.enums import InboxTopic
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.nav import FramePart, NavItem

NAV = [NavItem("inbox", N_("Inbox"), "/inbox", Action.INBOX_READ, 5)]
SETTINGS_NAV = [
    NavItem("inboxes", N_("Inboxes"), "/settings/inboxes", Action.INBOX_MANAGE, 60),
    NavItem("sla", N_("SLA policies"), "/settings/sla-policies", Action.INBOX_MANAGE, 61),
    NavItem("canned", N_("Canned responses"), "/settings/canned-responses", Action.INBOX_MANAGE, 62),
]
# The notification bell on every page's top bar, for those who read the inbox.
FRAME_PARTS = [
    FramePart("bell", "inbox/_bell.html", Action.INBOX_READ, {"topic": InboxTopic.NOTIFICATION_CREATED}),
]
