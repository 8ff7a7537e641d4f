"""Every value omnicx stores under an English key and shows on pages has a name in each language: the channel
groups and contact channels a touchpoint is credited to, the inbox channels, identifier kinds, contact reasons
and device kinds. A value added to one of those vocabularies without a name would reach French pages in
English (or as a raw key), which the page sweep only sees if the demo happens to hold it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnicx.customers import service as customers_service
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox.intent import Intent
from omnicx.kernel.i18n import set_language
from omnicx.tracking import service as tracking_service
from omnicx.tracking.channel_grouping import DEFAULT_CHANNELS
from omnicx.tracking.service.contacts import CHANNELS as CONTACT_CHANNELS


@pytest.fixture
def french() -> Iterator[None]:
    set_language("fr")
    yield
    set_language("en")


def test_every_channel_a_touchpoint_is_credited_to_has_a_name() -> None:
    credited = {*DEFAULT_CHANNELS, *CONTACT_CHANNELS.values(), *inbox_service.CHANNEL_LABELS.values()}
    assert credited <= set(tracking_service.CHANNEL_NAMES)


@pytest.mark.usefixtures("french")
def test_channel_groups_are_translated_and_a_workspace_s_own_names_kept() -> None:
    assert tracking_service.channel_label("Organic Search") == "Recherche naturelle"
    assert tracking_service.channel_label("Unassigned") != "Unassigned"
    assert tracking_service.channel_label("Newsletter partners") == "Newsletter partners"
    # A workspace rule that happens to be named like another page's message is not translated as one.
    assert tracking_service.channel_label("Saved") == "Saved"


@pytest.mark.usefixtures("french")
def test_identifier_kinds_contact_reasons_and_devices_are_named_in_the_reader_s_language() -> None:
    for kind in IdentifierKind:
        assert identity_service.identifier_kind_label(kind.value) != kind.value
    for intent in Intent:
        assert inbox_service.intent_label(intent.value) != intent.value
    assert customers_service.device_label("desktop") == "Ordinateur"
    assert customers_service.device_label("smart-fridge") == "smart-fridge"
