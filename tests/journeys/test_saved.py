"""Saved funnels: saved under a unique name by the roles that manage journeys, listed for every reader of the
workspace (and no other), opened from the Funnels page, deleted; through the API, the page and the CLI."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import page_csrf, sign_in

API = "/api/v1/journeys/saved-funnels"
CHECKOUT = {
    "name": "Checkout",
    "steps": [" page:/cart ", "event: Order Completed"],
    "window_hours": 24,
    "mode": "strict",
}


def test_a_funnel_is_saved_once_under_its_name_and_read_in_its_workspace_only(
    client: TestClient, world: World, other_world: World
) -> None:
    analyst = world.token(Role.ANALYST)
    saved = client.post(API, json=CHECKOUT, headers=analyst)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["steps"] == ["page:/cart", "event:Order Completed"]  # as the `step` parameter takes them
    assert (body["window_hours"], body["mode"], body["created_by"]) == (
        24,
        "strict",
        "token:analyst-token",
    )

    again = client.post(API, json={**CHECKOUT, "name": " Checkout "}, headers=world.token(Role.MARKETER))
    assert again.status_code == 409 and again.json()["code"] == "funnel_name_taken"
    wrong = client.post(
        API, json={**CHECKOUT, "name": "x", "steps": ["click:Buy", "page:/"]}, headers=analyst
    )
    assert wrong.status_code == 422 and set(wrong.json()) >= {"code", "message"}
    viewer = client.post(API, json={**CHECKOUT, "name": "mine"}, headers=world.token(Role.VIEWER))
    assert viewer.status_code == 403  # viewers read saved funnels, they do not save them

    listed = client.get(API, headers=world.token(Role.VIEWER)).json()
    assert [item["name"] for item in listed] == ["Checkout"]
    assert client.get(API, headers=other_world.token(Role.OWNER)).json() == []
    elsewhere = client.delete(f"{API}/{body['id']}", headers=other_world.token(Role.OWNER))
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "saved_funnel_not_found"

    assert client.delete(f"{API}/{body['id']}", headers=analyst).status_code == 204
    assert client.get(API, headers=analyst).json() == []


def test_the_funnels_page_saves_opens_and_deletes_a_funnel(client: TestClient, world: World) -> None:
    member = world.members[Role.MARKETER]
    sign_in(client, member.email, member.password)
    params = {"step": ["page:/products/", "event:Order Completed"], "window_hours": "48", "mode": "any"}
    page = client.get("/journeys/funnels", params=params)
    assert 'id="save-funnel"' in page.text
    form = {**params, "name": "Products to orders", "csrf_token": page_csrf(client, "/journeys/funnels")}
    saved = client.post("/journeys/funnels/save", data=form, follow_redirects=False)
    assert saved.status_code == 303 and "mode=any" in saved.headers["location"]
    listing = client.get("/journeys/funnels").text
    link = re.search(r'href="(/journeys/funnels\?[^"]*)">Products to orders</a>', listing)
    assert link is not None
    opened = client.get(link.group(1).replace("&amp;", "&")).text
    assert 'value="page:/products/"' in opened and '<option value="any" selected>' in opened

    taken = client.post("/journeys/funnels/save", data=form)
    assert taken.status_code == 409 and "is saved already" in taken.text
    [funnel_id] = re.findall(r'action="/journeys/funnels/saved/([0-9a-f-]+)/delete"', listing)
    token = page_csrf(client, "/journeys/funnels")
    deleted = client.post(
        f"/journeys/funnels/saved/{funnel_id}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert "Products to orders" not in client.get("/journeys/funnels").text


def test_a_viewer_sees_saved_funnels_without_the_save_form(client: TestClient, world: World) -> None:
    client.post(API, json=CHECKOUT, headers=world.token(Role.ANALYST))
    viewer = world.members[Role.VIEWER]
    sign_in(client, viewer.email, viewer.password)
    page = client.get("/journeys/funnels").text
    assert ">Checkout</a>" in page and 'id="save-funnel"' not in page and "/delete" not in page


def test_the_cli_saves_and_lists_funnels(client: TestClient, world: World, cli_env: dict[str, str]) -> None:
    args = ["journeys", "save", "-w", world.workspace.slug, "Carts", "--step", "page:/cart"]
    saved = CliRunner().invoke(
        cli_app, [*args, "--step", "event:Order Completed", "--mode", "any"], env=cli_env
    )
    assert saved.exit_code == 0, saved.output
    listed = CliRunner().invoke(cli_app, ["journeys", "saved", "-w", world.workspace.slug], env=cli_env)
    assert (
        listed.exit_code == 0
        and "Carts" in listed.stdout
        and "page:/cart → event:Order Completed" in listed.stdout
    )
    twice = CliRunner().invoke(cli_app, [*args, "--step", "event:Order Completed"], env=cli_env)
    assert twice.exit_code == 1 and "funnel_name_taken" in twice.stderr
