"""What each kind of identifier is called on pages (marked for translation, translated where shown)."""

from __future__ import annotations

from omnicx.identity.schemas import IdentifierKind
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import name_of

IDENTIFIER_KIND_NAMES: dict[str, str] = {
    IdentifierKind.ANONYMOUS_ID: N_("Anonymous ID"),
    IdentifierKind.USER_ID: N_("User ID"),
    IdentifierKind.EMAIL: N_("Email"),
    IdentifierKind.PHONE: N_("Phone"),
    IdentifierKind.WHATSAPP: N_("WhatsApp"),
    IdentifierKind.MESSENGER: N_("Messenger"),
    IdentifierKind.INSTAGRAM: N_("Instagram"),
    IdentifierKind.TELEGRAM: N_("Telegram"),
    IdentifierKind.EXTERNAL: N_("External ID"),
}


def identifier_kind_label(kind: str) -> str:
    """An identifier's kind in the reader's language (a kind this version does not know, as stored)."""
    return name_of(IDENTIFIER_KIND_NAMES, kind)
