"""What tracking adds to the customer 360: events and visits on the timeline, devices and first touch, the
first-touch channel filter of the customer list."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from omnicx.customers import service as customers_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.helpers import sign_in
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import customer_of, drain, send

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"
MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def test_timeline_facts_and_channel_filter(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    def at(minutes: int) -> str:
        return (T0 + timedelta(minutes=minutes)).isoformat()

    send(
        client,
        source,
        {
            "type": "page",
            "anonymousId": "anon-9",
            "timestamp": at(0),
            "context": {
                "userAgent": IPHONE,
                "os": {"name": "iOS"},
                "page": {
                    "url": "https://shop.example/?utm_source=facebook&utm_medium=paid_social",
                    "path": "/",
                },
            },
        },
        {
            "type": "track",
            "anonymousId": "anon-9",
            "event": "Product Added",
            "timestamp": at(1),
            "properties": {"sku": "A-1"},
            "context": {"userAgent": IPHONE},
        },
        {
            "type": "page",
            "anonymousId": "anon-9",
            "timestamp": at(60 * 24),
            "context": {
                "userAgent": MAC,
                "os": {"name": "Mac OS"},
                "page": {"url": "https://shop.example/", "path": "/"},
            },
        },
    )
    drain(runtime)
    customer_id = customer_of(runtime, "anon-9")
    with runtime.sessions() as session:
        view = customers_service.get_customer_360(
            session, workspace_id=world.workspace.id, customer_id=customer_id
        )
        paid_social = customers_service.list_customers(
            session, workspace_id=world.workspace.id, channel="Paid Social"
        )
        direct = customers_service.list_customers(session, workspace_id=world.workspace.id, channel="Direct")

    ours = [item for item in view.timeline if item.source == "tracking"]
    assert [(i.kind, i.title, i.direction) for i in ours] == [
        ("event", "Viewed /", "none"),
        ("session", "Visit via Direct", "inbound"),
        ("event", "Product Added", "inbound"),
        ("event", "Viewed /", "none"),
        ("session", "Visit via Paid Social", "inbound"),
    ]
    assert "sku: A-1" in ours[2].detail
    assert (view.first_touch_channel, view.first_touch_at) == ("Paid Social", T0)
    assert {(d.type, d.os, d.browser) for d in view.devices} == {
        ("mobile", "iOS", "Safari"),
        ("desktop", "Mac OS", "Chrome"),
    }
    assert view.last_contact is not None and view.last_contact.title == "Visit via Direct"
    assert [c.id for c in paid_social.items] == [customer_id]
    assert direct.items == []

    # The profile page names each device once, its kind in the reader's language.
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    page = client.get(f"/customers/{customer_id}", headers={"accept-language": "fr"}).text
    devices = [
        re.sub(r"\s+", " ", item.split(">", 1)[1].split("<span", 1)[0]).strip(" ·")
        for item in page.split("<li data-device")[1:]
    ]
    assert sorted(devices) == ["Chrome · Mac OS · Ordinateur", "Safari · iOS · Mobile"]

    # The timeline speaks the reader's language too: its titles, a visit's details and each item's channel.
    timeline = page.split('id="timeline"')[1]
    assert "Visite via Réseaux sociaux payants" in timeline and "Visit via" not in timeline
    assert "A vu /" in timeline and "Viewed" not in timeline
    assert "pages vues" in timeline and "page views" not in timeline
    assert re.search(r'data-channel="web">\s*Site web\s*<', timeline)
