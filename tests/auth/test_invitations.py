"""People join a workspace by accepting an invitation mailed to them: signed in as the invited person, with
their existing password, or by creating their account. A link works once, for 7 days, and stops working when
withdrawn or sent again; nobody is a member before accepting."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.errors import InvitationInvalid
from omnicx.auth.schemas import InvitationAccept
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import SESSION_COOKIE
from tests.auth.conftest import mailed_link, mails_to, path_of, public_form
from tests.channels.conftest import SmtpSink
from tests.conftest import PASSWORD, World
from tests.helpers import session_csrf, sign_in

NEWCOMER = "newcomer@example.org"
NEW_PASSWORD = "a brand new passphrase"


def invite(client: TestClient, world: World, email: str, role: str = "agent", by: Role = Role.ADMIN) -> dict:  # type: ignore[type-arg]
    response = client.post(
        "/api/v1/invitations", json={"email": email, "role": role}, headers=world.token(by)
    )
    return {"status": response.status_code, **response.json()}


def member_emails(client: TestClient, world: World) -> set[str]:
    return {m["email"] for m in client.get("/api/v1/members", headers=world.token(Role.ADMIN)).json()}


def audit_actions(client: TestClient, world: World) -> list[str]:
    page = client.get("/api/v1/audit", headers=world.token(Role.OWNER), params={"limit": 500}).json()
    return [entry["action"] for entry in page["items"]]


def test_a_newcomer_creates_their_account_from_the_mailed_link_once(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    # Given an invitation to an address with no account
    assert invite(client, world, NEWCOMER, role="marketer")["status"] == 201
    assert NEWCOMER not in member_emails(client, world)
    # When the invitee opens the mailed link and sets a name and a password
    link = mailed_link(runtime, smtp_sink, NEWCOMER)
    assert link.startswith(runtime.settings.base_url + "/invitations/")
    page = client.get(path_of(link))
    assert page.status_code == 200 and "Create my account and join" in page.text
    form = {"csrf_token": public_form(client, path_of(link)), "name": "Nina New"}
    differ = client.post(
        path_of(link), data={**form, "password": NEW_PASSWORD, "password_again": "other one!!"}
    )
    assert differ.status_code == 422 and NEWCOMER not in member_emails(client, world)
    joined = client.post(
        path_of(link),
        data={**form, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        follow_redirects=False,
    )
    # Then they are a member with the invited role, signed in, and the link is spent
    assert joined.status_code == 303, joined.text
    assert client.cookies.get(SESSION_COOKIE)
    me = client.get("/api/v1/me").json()
    assert (me["user"]["email"], me["role"], me["workspace"]["slug"]) == (NEWCOMER, "marketer", "acme")
    assert NEWCOMER in member_emails(client, world)
    again = TestClient(client.app)
    assert again.get(path_of(link)).status_code == 404
    assert "no longer works" in again.get(path_of(link)).text
    assert {"member.invited", "member.joined"} <= set(audit_actions(client, world))


def test_someone_with_an_account_elsewhere_joins_signed_in_and_switches_to_the_workspace(
    app: FastAPI, client: TestClient, runtime: Runtime, world: World, other_world: World, smtp_sink: SmtpSink
) -> None:
    elsewhere = other_world.members[Role.VIEWER]
    invite(client, world, elsewhere.email, role="analyst")
    link = mailed_link(runtime, smtp_sink, elsewhere.email)
    assert elsewhere.email not in member_emails(client, world)
    sign_in(client, elsewhere.email, elsewhere.password)
    page = client.get(path_of(link))
    assert "Join Acme" in page.text
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    accepted = client.post(path_of(link) + "/accept", headers=headers, follow_redirects=False)
    assert accepted.status_code == 303
    me = client.get("/api/v1/me").json()
    assert (me["workspace"]["slug"], me["role"]) == ("acme", "analyst")
    # their other workspace is untouched, and the link does not work twice
    assert elsewhere.email in member_emails(client, other_world)
    assert client.post(path_of(link) + "/accept", headers=headers).status_code == 404


def test_a_different_signed_in_person_cannot_accept(
    app: FastAPI, client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    invite(client, world, NEWCOMER)
    link = mailed_link(runtime, smtp_sink, NEWCOMER)
    viewer = world.members[Role.VIEWER]
    sign_in(client, viewer.email, viewer.password)
    page = client.get(path_of(link))
    assert "This invitation is for another address" in page.text
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    refused = client.post(path_of(link) + "/accept", headers=headers)
    assert refused.status_code == 403
    assert NEWCOMER not in member_emails(client, world)
    me = client.get("/api/v1/me").json()
    assert me["role"] == "viewer"  # the viewer's role did not change either


def test_an_existing_account_accepts_signed_out_with_its_own_password_only(
    client: TestClient, runtime: Runtime, world: World, other_world: World, smtp_sink: SmtpSink
) -> None:
    elsewhere = other_world.members[Role.AGENT]
    invite(client, world, elsewhere.email)
    link = mailed_link(runtime, smtp_sink, elsewhere.email)
    assert "Your omnicx password" in client.get(path_of(link)).text
    token = public_form(client, path_of(link))
    wrong = client.post(path_of(link), data={"csrf_token": token, "password": "not the password"})
    assert wrong.status_code == 401
    assert elsewhere.email not in member_emails(client, world)
    right = client.post(
        path_of(link), data={"csrf_token": token, "password": elsewhere.password}, follow_redirects=False
    )
    assert right.status_code == 303
    assert elsewhere.email in member_emails(client, world)


def test_a_link_expires_after_seven_days(db: Session, world: World) -> None:
    from omnicx.auth.schemas import InvitationCreate

    admin = world.members[Role.ADMIN].principal
    sent = utcnow()
    auth_service.invite_member(
        db,
        principal=admin,
        data=InvitationCreate(email=NEWCOMER, role=Role.AGENT),
        secret="k" * 40,
        now=sent,
    )
    token = _token_of_last_job(db)
    assert auth_service.view_invitation(db, token=token, now=sent + timedelta(days=6)).email == NEWCOMER
    late = sent + auth_service.INVITATION_TTL + timedelta(seconds=1)
    for attempt in (
        lambda: auth_service.view_invitation(db, token=token, now=late),
        lambda: auth_service.accept_invitation_signed_out(
            db, token=token, data=InvitationAccept(password=NEW_PASSWORD), now=late
        ),
    ):
        try:
            attempt()
        except InvitationInvalid:
            continue
        raise AssertionError("an expired invitation was accepted")
    assert NEWCOMER not in {m.email for m in auth_service.list_members(db, workspace_id=world.workspace.id)}
    listed = auth_service.list_invitations(db, workspace_id=world.workspace.id)
    assert [i.expired for i in listed] == [False]  # listed now, it expires in 7 days


def _token_of_last_job(db: Session) -> str:
    """The link's token, opened from the sealed job payload with the key it was sealed under."""
    from sqlalchemy import select

    from omnicx.kernel.access.sealing import unseal
    from omnicx.kernel.jobs.models import Job

    job = db.scalars(select(Job).order_by(Job.created_at.desc())).first()
    assert job is not None
    token = unseal("k" * 40, job.payload["sealed"], purpose="auth.invitation")
    assert token is not None
    return token


def test_sending_again_replaces_the_link_and_withdrawing_ends_it(
    app: FastAPI, client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    invited = invite(client, world, NEWCOMER)
    first = mailed_link(runtime, smtp_sink, NEWCOMER)
    resent = client.post(f"/api/v1/invitations/{invited['id']}/resend", headers=world.token(Role.ADMIN))
    assert resent.status_code == 200
    second = mailed_link(runtime, smtp_sink, NEWCOMER)
    assert second != first
    assert client.get(path_of(first)).status_code == 404
    assert client.get(path_of(second)).status_code == 200
    # the page lists it with both actions, and withdrawing it there ends the link
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    assert 'data-invitation="newcomer@example.org"' in client.get("/settings/members").text
    withdrawn = client.post(
        f"/settings/invitations/{invited['id']}/revoke", headers=headers, follow_redirects=False
    )
    assert withdrawn.status_code == 303
    assert 'data-invitation="newcomer@example.org"' not in client.get("/settings/members").text
    assert client.get(path_of(second)).status_code == 404
    assert client.get("/api/v1/invitations", headers=world.token(Role.ADMIN)).json() == []
    assert "member.invitation_revoked" in audit_actions(client, world)
    assert len(mails_to(smtp_sink, NEWCOMER)) == 2


def test_a_link_replaced_before_its_mail_left_is_not_mailed(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    invited = invite(client, world, NEWCOMER)
    client.post(f"/api/v1/invitations/{invited['id']}/resend", headers=world.token(Role.ADMIN))
    client.delete(f"/api/v1/invitations/{invited['id']}", headers=world.token(Role.ADMIN))
    mailed_ = mails_to(smtp_sink, NEWCOMER)
    assert mailed_ == []
    from tests.inbox.conftest import drain

    drain(runtime)
    assert mails_to(smtp_sink, NEWCOMER) == []  # withdrawn: neither link is mailed


def test_inviting_needs_a_role_the_inviter_may_grant_and_is_refused_for_members(
    client: TestClient, world: World
) -> None:
    assert invite(client, world, NEWCOMER, role="owner", by=Role.ADMIN)["status"] == 403
    assert invite(client, world, NEWCOMER, role="owner", by=Role.OWNER)["status"] == 201
    assert invite(client, world, NEWCOMER, role="agent", by=Role.AGENT)["status"] == 403
    already = invite(client, world, world.members[Role.VIEWER].email)
    assert (already["status"], already["code"]) == (409, "member_exists")
    # an admin cannot resend or withdraw an owner's invitation to an owner role
    [pending] = client.get("/api/v1/invitations", headers=world.token(Role.ADMIN)).json()
    resend = client.post(f"/api/v1/invitations/{pending['id']}/resend", headers=world.token(Role.ADMIN))
    assert resend.status_code == 403
    assert (
        client.delete(f"/api/v1/invitations/{pending['id']}", headers=world.token(Role.ADMIN)).status_code
        == 403
    )


def test_another_workspaces_invitations_are_not_found(
    client: TestClient, world: World, other_world: World
) -> None:
    theirs = invite(client, other_world, NEWCOMER)
    for method, path in (
        ("POST", f"/api/v1/invitations/{theirs['id']}/resend"),
        ("DELETE", f"/api/v1/invitations/{theirs['id']}"),
    ):
        response = client.request(method, path, headers=world.token(Role.OWNER))
        assert (response.status_code, response.json()["code"]) == (404, "invitation_not_found")
    assert client.get("/api/v1/invitations", headers=world.token(Role.OWNER)).json() == []


def test_the_operator_still_adds_people_directly_from_the_command_line(
    cli_env: dict[str, str], world: World, client: TestClient
) -> None:
    from typer.testing import CliRunner

    from omnicx.app.cli import app as cli_app

    result = CliRunner().invoke(
        cli_app,
        [
            "user",
            "create",
            "ops@example.org",
            "--workspace",
            "acme",
            "--role",
            "agent",
            "--password",
            PASSWORD,
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    assert "ops@example.org" in member_emails(client, world)
