"""A request its role may not make reads as a sentence a person understands (never a raw permission name such as
`attribution.read`), in a page and in the API's structured error alike."""

from __future__ import annotations

from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.web.labels import ACTION_PHRASES, refusal
from tests.conftest import World
from tests.helpers import sign_in

SENTENCE = (
    "Your role (Agent) cannot see attribution reports. Ask an owner or admin of this workspace for access."
)


def test_every_action_has_a_readable_phrase() -> None:
    assert set(ACTION_PHRASES) == set(Action)
    for action, phrase in ACTION_PHRASES.items():
        assert action.value not in phrase


def test_a_refused_page_says_what_the_role_cannot_do_and_whom_to_ask(
    client: TestClient, world: World
) -> None:
    member = world.members[Role.AGENT]
    sign_in(client, member.email, member.password)

    response = client.get("/attribution")

    assert response.status_code == 403
    assert SENTENCE in response.text
    assert "attribution.read" not in response.text
    assert "permission_denied" in response.text  # the stable code stays quotable


def test_the_api_keeps_its_code_and_reads_the_same_sentence(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/attribution/report", headers=world.token(Role.AGENT))

    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": SENTENCE}


def test_the_sentence_names_the_role_and_the_action() -> None:
    assert refusal(Role.VIEWER, Action.ATTRIBUTION_READ).startswith(
        "Your role (Viewer) cannot see attribution reports."
    )
    assert "manage API tokens" in refusal(Role.ANALYST, Action.TOKENS_MANAGE)
