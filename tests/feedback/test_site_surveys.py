"""Surveys shown on the workspace's sites (`feedback/site/survey.js` beside the tracking snippet): asked once per
visitor within the throttle, worded in the page's language, answered once with the signed token; a forged token,
another workspace's key, or the device of an identified customer gets nothing. In Chromium, the real analytics.js
snippet and the survey script on a shop's page: the visitor answers, and the answer lands on the profile the
visitor's events build."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.feedback import service
from omnicx.feedback.enums import SurveyKind
from omnicx.feedback.models import SurveyInvitation
from omnicx.feedback.schemas import SurveyCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import sdk
from omnicx.tracking.sdk import ANALYTICS_NEXT
from tests.conftest import World, make_world
from tests.helpers import chromium_browser
from tests.realtime.conftest import ThreadServer, build_app
from tests.tracking.conftest import KeyedSource, make_source, source

__all__ = ["source"]  # the tracking tests' fixture: a source and its write key

SHOP = "http://shop.example"


def _survey(
    db: Session, world: World, *, on_site: bool = True, kind: SurveyKind = SurveyKind.NPS
) -> uuid.UUID:
    owner = world.members[Role.OWNER].principal
    data = SurveyCreate(name="Site NPS", kind=kind, on_site=on_site)
    survey_id = service.create_survey(db, principal=owner, data=data).id
    db.close()
    return survey_id


def _ask(
    client: TestClient, key: str, anonymous_id: str, language: str = ""
) -> tuple[int, dict[str, object]]:
    body = orjson.dumps({"anonymous_id": anonymous_id, "language": language})
    response = client.post(f"/feedback/site/{key}/ask", content=body, headers={"Content-Type": "text/plain"})
    assert response.headers["access-control-allow-origin"] == "*"
    return response.status_code, (response.json() if response.content else {})


def _answer(client: TestClient, key: str, token: str, score: int, comment: str = "") -> int:
    body = orjson.dumps({"token": token, "score": score, "comment": comment})
    response = client.post(
        f"/feedback/site/{key}/answer", content=body, headers={"Content-Type": "text/plain"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    return response.status_code


def _invitations(db: Session) -> list[SurveyInvitation]:
    rows = list(db.scalars(select(SurveyInvitation)))
    db.rollback()
    return rows


def test_a_visitor_is_asked_once_in_their_language_and_answers_once(
    client: TestClient, db: Session, world: World, source: KeyedSource
) -> None:
    survey_id = _survey(db, world)
    status, question = _ask(client, source.write_key, "device-1", "fr-FR")
    assert status == 200
    assert (question["kind"], question["low"], question["high"], question["language"]) == ("nps", 0, 10, "fr")
    assert "recommandiez" in str(question["question"])  # omnicx's own French wording
    assert _ask(client, source.write_key, "device-1", "fr-FR")[0] == 204  # shown once: asked, even unanswered
    token = str(question["token"])
    assert _answer(client, source.write_key, token, 11) == 422  # beyond the scale
    assert _answer(client, source.write_key, token, 9, "Livraison rapide, merci !") == 204
    assert _answer(client, source.write_key, token, 3) == 409  # once
    _survey(db, world, kind=SurveyKind.CES)  # a newer survey on the site: asked lately, so not now
    assert _ask(client, source.write_key, "device-1", "fr-FR")[0] == 204
    assert _ask(client, source.write_key, "device-9")[1]["kind"] == "ces"  # the newest, for a new visitor
    invitation, _ = sorted(_invitations(db), key=lambda i: i.answered_at is None)
    assert (invitation.channel, invitation.score, invitation.language) == ("web", 9, "fr")
    assert invitation.sentiment is not None and invitation.sentiment > 0
    results = service.survey_results(db, workspace_id=world.workspace.id, survey_id=survey_id)
    assert [(g.key, g.invited, g.answered, g.score) for g in results.by_channel] == [("web", 1, 1, 100.0)]
    # The answer belongs to the device's profile: the customer its events resolve to.
    owner = identity_service.resolve_device(db, workspace_id=world.workspace.id, anonymous_id="device-1")
    assert owner == invitation.customer_id


def test_forged_tokens_other_workspaces_and_bad_bodies_are_refused(
    client: TestClient, db: Session, world: World, source: KeyedSource
) -> None:
    _survey(db, world)
    _, question = _ask(client, source.write_key, "device-2")
    token = str(question["token"])
    invitation_hex, _, signature = token.partition(".")
    forged = f"{uuid.uuid4().hex}.{signature}"
    assert _answer(client, source.write_key, forged, 9) == 404
    assert _answer(client, source.write_key, f"{invitation_hex}.AAAA", 9) == 404
    other = make_source(db, make_world(db, "globex"))
    db.close()
    assert _answer(client, other.write_key, token, 9) == 404  # a key of another workspace names nothing
    assert _ask(client, "wk_unknown", "device-3")[0] == 401
    bad = client.post(
        f"/feedback/site/{source.write_key}/ask", content=b"{", headers={"Content-Type": "text/plain"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"
    assert bad.headers["access-control-allow-origin"] == "*"
    assert all(i.answered_at is None for i in _invitations(db))


def test_an_identified_customers_device_and_surveys_not_on_the_site_ask_nothing(
    client: TestClient, db: Session, world: World, source: KeyedSource
) -> None:
    survey_id = _survey(db, world, on_site=False)
    assert _ask(client, source.write_key, "device-4")[0] == 204  # no survey on the site
    identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=[
            Identifier(kind=IdentifierKind.EMAIL, value="ada@example.com"),
            Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="ada-laptop"),
        ],
    )
    db.commit()
    service.show_on_site(db, principal=world.members[Role.OWNER].principal, survey_id=survey_id, on_site=True)
    db.close()
    # Copying an identified customer's device id asks nothing in their name.
    assert _ask(client, source.write_key, "ada-laptop")[0] == 204
    assert _invitations(db) == []
    assert _ask(client, source.write_key, "device-4")[0] == 200


def test_the_survey_page_api_and_cli_turn_it_on_and_off(
    client: TestClient, db: Session, world: World, cli_env: dict[str, str]
) -> None:
    survey_id = _survey(db, world, on_site=False)
    viewer, manager = world.token(Role.VIEWER), world.token(Role.ADMIN)
    path = f"/api/v1/feedback/surveys/{survey_id}/site"
    assert client.put(path, json={"on_site": True}, headers=viewer).status_code == 403
    assert client.put(path, json={"on_site": True}, headers=manager).json()["on_site"] is True
    page = client.get(f"/feedback/surveys/{survey_id}", headers=manager)
    assert 'data-on-site="true"' in page.text and "/feedback/site/survey.js" in page.text
    result = CliRunner().invoke(
        cli_app, ["feedback", "survey-site", "-w", "acme", str(survey_id), "--off"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert service.get_survey(db, workspace_id=world.workspace.id, survey_id=survey_id).on_site is False
    script = client.get("/feedback/site/survey.js")
    assert script.status_code == 200 and "data-omnicx-survey" in script.text


@pytest.fixture
def shop_browser() -> Iterator[Browser]:
    # The shop is a public site here and omnicx a loopback server: a real omnicx is public too.
    with chromium_browser(
        "--disable-features=BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks"
    ) as browser:
        yield browser


def _shop(browser: Browser, html: str, base: str) -> Page:
    """A page served as `SHOP` in a fresh browser context (a new visit), requests to omnicx let through."""
    page = browser.new_context(locale="ca-ES").new_page()

    def route(route: Route) -> None:
        if route.request.url.startswith(SHOP):
            route.fulfill(status=200, content_type="text/html", body=html)
        elif route.request.url.startswith(base):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    return page


@pytest.mark.e2e
@pytest.mark.skipif(not (ANALYTICS_NEXT / "index.js").is_file(), reason="./setup installs the bundles")
def test_a_shop_visitor_answers_the_survey_beside_the_tracking_snippet(
    runtime: Runtime, db: Session, world: World, source: KeyedSource, shop_browser: Browser
) -> None:
    _survey(db, world, kind=SurveyKind.CSAT)
    with ThreadServer(build_app(runtime)) as server:
        snippet = sdk.snippets(base_url=server.url, write_key=source.write_key)["analytics-next"]
        survey_script = (
            f"<script src='{server.url}/feedback/site/survey.js' data-omnicx-survey='{source.write_key}' "
            "data-delay='0.3' async></script>"
        )
        html = f"<!doctype html><html><head>{snippet}{survey_script}</head><body><h1>Lamps</h1></body></html>"
        page = _shop(shop_browser, html, server.url)
        page.goto(f"{SHOP}/")
        card = page.locator(".omx-survey")
        expect(card).to_be_visible(timeout=15_000)
        expect(card).to_have_attribute("lang", "ca")
        expect(card.locator(".omx-scores button")).to_have_count(5)  # CSAT: 1 to 5
        expect(card.locator(".omx-send")).to_be_disabled()
        card.locator(".omx-scores button[data-score='4']").click()
        card.locator("textarea").fill("Molt bona atenció")
        card.locator(".omx-send").click()
        expect(card.locator("[role=status]")).to_be_visible()
        anonymous_id = page.evaluate("JSON.parse(localStorage.getItem('ajs_anonymous_id'))")
        # A new visit of the same device: asked lately, so nothing is shown.
        again = page.context.new_page()
        again.route(
            f"{SHOP}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=html)
        )
        with again.expect_response(lambda r: r.url.endswith("/ask")) as asked:
            again.goto(f"{SHOP}/other")
        assert asked.value.status == 204
        expect(again.locator(".omx-survey")).to_have_count(0)
    [invitation] = _invitations(db)
    assert (invitation.score, invitation.comment, invitation.channel) == (4, "Molt bona atenció", "web")
    owner = identity_service.resolve_device(db, workspace_id=world.workspace.id, anonymous_id=anonymous_id)
    assert owner == invitation.customer_id
