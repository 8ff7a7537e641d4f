"""What a source's kind is called on pages and the customer's timeline (marked for translation, translated where
shown)."""

from __future__ import annotations

from omnicx.kernel.i18n import lazy as N_
from omnicx.tracking.models import SourceKind

SOURCE_KIND_NAMES = {
    SourceKind.WEB: N_("Website"),
    SourceKind.APP: N_("App"),
    SourceKind.SERVER: N_("Server"),
    SourceKind.IMPORT: N_("Import"),
    SourceKind.OTHER: N_("Other"),
}
