"""Settings pages: forms change things, refusals re-show the page with the reason, secrets are shown once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import session_csrf, sign_in


def test_team_forms_create_and_explain_refusals(app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    created = client.post(
        "/settings/teams", data={"name": "Support"}, headers=headers, follow_redirects=False
    )
    assert created.status_code == 303
    again = client.post("/settings/teams", data={"name": "Support"}, headers=headers)
    assert again.status_code == 409
    assert "already exists" in again.text
    assert again.text.count('class="card"') >= 1


def test_inviting_a_member_lists_the_invitation_and_explains_refusals(
    app, client: TestClient, world: World
) -> None:  # type: ignore[no-untyped-def]
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    invited = client.post(
        "/settings/invitations", data={"email": "new@acme.example.com", "role": "agent"}, headers=headers
    )
    assert invited.status_code == 201
    assert "Invitation sent to new@acme.example.com" in invited.text
    listing = client.get("/settings/members")
    assert 'data-invitation="new@acme.example.com"' in listing.text
    assert 'data-member="new@acme.example.com"' not in listing.text  # a member only once they accept
    refused = client.post(
        "/settings/invitations", data={"email": "boss@acme.example.com", "role": "owner"}, headers=headers
    )
    assert refused.status_code == 403
    member = client.post(
        "/settings/invitations",
        data={"email": world.members[Role.AGENT].email, "role": "agent"},
        headers=headers,
    )
    assert member.status_code == 409
    assert "already a member" in member.text
    nonsense = client.post(
        "/settings/invitations", data={"email": "not an email", "role": "agent"}, headers=headers
    )
    assert nonsense.status_code == 422
