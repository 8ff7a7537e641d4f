"""REST API of the inbox under /api/v1/inbox: inboxes, conversation views, one conversation, replies, changes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from omnicx.inbox import service
from omnicx.inbox.schemas import (
    ApprovedTemplate,
    AvailabilityPublic,
    AvailabilityUpdate,
    CannedResponseCreate,
    CannedResponsePublic,
    CannedResponseUpdate,
    ContactLink,
    ContactReasonsReport,
    ConversationDetail,
    ConversationInsights,
    ConversationSummary,
    ConversationUpdate,
    IdentitySecretPublic,
    InboxCreate,
    InboxHealth,
    InboxPublic,
    InboxReport,
    InboxSettingsPublic,
    InboxSettingsUpdate,
    InboxUpdate,
    InboxView,
    MergeRequest,
    MergeResult,
    MessagePublic,
    NotificationList,
    ReplyChannelPublic,
    ReplyCreate,
    SlaPolicyCreate,
    SlaPolicyPublic,
    SlaPolicyUpdate,
    SlaStatusCounts,
    TypingCreate,
)
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, SettingsDep, require
from omnicx.kernel.web.downloads import (
    CHART_RESPONSES,
    CSV_RESPONSES,
    ChartFormat,
    chart_response,
    csv_attachment,
)
from omnicx.kernel.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.INBOX_READ)]
Replier = Annotated[Principal, require(Action.INBOX_REPLY)]
Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]
OwnAccount = Annotated[Principal, require(Action.OWN_ACCOUNT)]


@router.get("/inboxes", response_model=list[InboxPublic])
def list_inboxes(session: SessionDep, principal: Reader) -> list[InboxPublic]:
    return service.list_inboxes(session, workspace_id=principal.workspace_id)


@router.post("/inboxes", response_model=InboxPublic, status_code=201)
def create_inbox(
    data: InboxCreate, session: SessionDep, settings: SettingsDep, principal: Manager
) -> InboxPublic:
    """Create an inbox: an email address omnicx receives at, or a website's chat (its widget token, and an
    identity secret its website signs signed-in visitors with: `GET /inboxes/{id}/identity-secret`)."""
    return service.create_inbox(
        session,
        principal=principal,
        data=data,
        secret_key=settings.resolved_secret_key,
        base_url=settings.base_url,
    )


@router.get("/inboxes/{inbox_id}/identity-secret", response_model=IdentitySecretPublic)
def get_identity_secret(
    inbox_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Manager
) -> IdentitySecretPublic:
    """A chat inbox's identity secret: the website's back end signs a signed-in visitor's user id (or email)
    with it, `HMAC-SHA256(secret, user_id)` in hex, and the widget passes it as `user_hash`."""
    return service.get_identity_secret(
        session,
        workspace_id=principal.workspace_id,
        inbox_id=inbox_id,
        secret_key=settings.resolved_secret_key,
    )


@router.post("/inboxes/{inbox_id}/identity-secret", response_model=IdentitySecretPublic)
def rotate_identity_secret(
    inbox_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Manager
) -> IdentitySecretPublic:
    """Generate a new identity secret for a chat inbox (hashes signed with the old one stop verifying)."""
    return service.rotate_identity_secret(
        session, principal=principal, inbox_id=inbox_id, secret_key=settings.resolved_secret_key
    )


@router.post("/sla-policies", response_model=SlaPolicyPublic, status_code=201)
def create_sla_policy(data: SlaPolicyCreate, session: SessionDep, principal: Manager) -> SlaPolicyPublic:
    """Response targets in business hours (workspace time zone), applied to the listed inboxes."""
    return service.create_sla_policy(session, principal=principal, data=data)


@router.get("/conversations", response_model=list[ConversationSummary])
def list_conversations(
    session: SessionDep, principal: Reader, view: Annotated[InboxView, Depends()]
) -> list[ConversationSummary]:
    """A view of the inbox (mine, unassigned, all; by status, team, label, inbox, channel), most urgent first."""
    return service.list_conversations(session, principal=principal, view=view)


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def get_conversation(
    conversation_id: uuid.UUID, session: SessionDep, principal: Reader
) -> ConversationDetail:
    return service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )


@router.post("/conversations/{conversation_id}/messages", response_model=MessagePublic, status_code=201)
def reply(
    conversation_id: uuid.UUID, data: ReplyCreate, session: SessionDep, principal: Replier
) -> MessagePublic:
    """Reply (delivered by a durable job) or add a private note (`private: true`, never sent)."""
    return service.reply(session, principal=principal, conversation_id=conversation_id, data=data)


@router.post("/conversations/{conversation_id}/qualify", response_model=ConversationSummary)
def qualify(conversation_id: uuid.UUID, session: SessionDep, principal: Replier) -> ConversationSummary:
    """Mark the conversation's (verified) customer as a qualified lead: a `Lead Qualified` event the
    attribution report counts in its qualified stage, credited to the conversation's channel. Once per
    conversation; calling again changes nothing."""
    return service.qualify_lead(session, principal=principal, conversation_id=conversation_id)


@router.get("/conversations/{conversation_id}/reply-channels", response_model=list[ReplyChannelPublic])
def reply_channels(
    conversation_id: uuid.UUID, session: SessionDep, principal: Replier
) -> list[ReplyChannelPublic]:
    """Where the conversation can be answered: its own inbox first, then every other inbox that reaches its
    verified customer (an email inbox at their email, SMS or WhatsApp at their phone, a social inbox where they
    already wrote). Pass one as `via_inbox_id` when replying."""
    return service.conversation_reply_channels(session, principal=principal, conversation_id=conversation_id)


@router.get("/conversations/{conversation_id}/templates", response_model=list[ApprovedTemplate])
def templates(
    conversation_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Replier
) -> list[ApprovedTemplate]:
    """The templates its inbox's business account had approved (WhatsApp, when the inbox names its account):
    outside the customer service window, send one as `template` when replying. Empty when the provider could
    not list them."""
    return service.conversation_templates(
        session,
        principal=principal,
        conversation_id=conversation_id,
        secret_key=settings.resolved_secret_key,
    ).templates


@router.patch("/conversations/{conversation_id}", response_model=ConversationSummary)
def update_conversation(
    conversation_id: uuid.UUID, data: ConversationUpdate, session: SessionDep, principal: Replier
) -> ConversationSummary:
    """Change status (snooze needs `snoozed_until`), priority, assignee, team or labels."""
    return service.update_conversation(
        session, principal=principal, conversation_id=conversation_id, data=data
    )


# --- Reports, insights, merge, retry ----------------------------------------------------------------------------

ReportReader = Annotated[Principal, require(Action.INBOX_REPORTS_READ)]
DateFrom = Annotated[date, Query(alias="from", description="First day (inclusive), workspace time zone.")]
DateTo = Annotated[date, Query(alias="to", description="Last day (inclusive), workspace time zone.")]


@router.get("/reports", response_model=InboxReport)
def inbox_report(
    session: SessionDep, principal: ReportReader, date_from: DateFrom, date_to: DateTo
) -> InboxReport:
    """Conversations created in the range by channel, agent and team: first response and resolution times
    (median, p90; wall-clock seconds), SLA hit rate, breaches, and a daily trend."""
    return service.report(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)


@router.get("/contact-reasons", response_model=ContactReasonsReport)
def contact_reasons(
    session: SessionDep, principal: ReportReader, date_from: DateFrom, date_to: DateTo
) -> ContactReasonsReport:
    """Why customers wrote (each conversation's detected intent) per week and channel, repeat contacts within
    7 days, first-contact resolution, and each reason's most frequent phrases."""
    return service.contact_reasons(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)


@router.get("/contact-reasons.csv", response_class=Response, responses=CSV_RESPONSES)
def contact_reasons_csv(
    session: SessionDep, principal: ReportReader, date_from: DateFrom, date_to: DateTo
) -> Response:
    data = service.contact_reasons(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)
    return csv_attachment(service.contact_reasons_csv(data), f"contact-reasons-{date_from}-{date_to}.csv")


@router.get("/contact-reasons/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def contact_reasons_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: ReportReader,
    date_from: DateFrom,
    date_to: DateTo,
    chart: Literal["weekly", "channels"] = "weekly",
) -> Response:
    """Conversations per contact reason, per week or per channel: the Vega-Lite spec (json), or PNG, SVG."""
    data = service.contact_reasons(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)
    return chart_response(service.reasons_spec(data, chart), fmt)


@router.get("/reports.csv", response_class=Response, responses=CSV_RESPONSES)
def inbox_report_csv(
    session: SessionDep, principal: ReportReader, date_from: DateFrom, date_to: DateTo
) -> Response:
    data = service.report(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)
    return csv_attachment(service.report_csv(data), f"inbox-{date_from}-{date_to}.csv")


@router.get(
    "/reports/chart.{fmt}",
    response_class=Response,
    responses=CHART_RESPONSES,
)
def inbox_report_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: ReportReader,
    date_from: DateFrom,
    date_to: DateTo,
    chart: Literal["trend", "times"] = "trend",
    dimension: Literal["channel", "agent", "team"] = "channel",
) -> Response:
    """A report chart: its Vega-Lite spec (json) or rendered on the server (png, svg)."""
    data = service.report(session, workspace_id=principal.workspace_id, start=date_from, end=date_to)
    spec = service.chart_spec(data, chart, dimension)
    return chart_response(spec, fmt)


@router.get("/open-by-channel", response_model=dict[str, int])
def open_by_channel(session: SessionDep, principal: Reader) -> dict[str, int]:
    """Conversations not resolved now (open, pending, snoozed) per channel."""
    return service.open_conversations_by_channel(session, workspace_id=principal.workspace_id)


@router.get("/sla-status", response_model=SlaStatusCounts)
def sla_status(session: SessionDep, principal: Reader) -> SlaStatusCounts:
    """Unresolved conversations on track, close to a target (warning) or past one (breached)."""
    return service.sla_status(session, workspace_id=principal.workspace_id)


@router.get("/conversations/{conversation_id}/insights", response_model=ConversationInsights)
def conversation_insights(
    conversation_id: uuid.UUID, session: SessionDep, principal: Reader
) -> ConversationInsights:
    """The detected intent and the customer's tracked actions in the hour before the conversation."""
    return service.conversation_insights(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )


@router.post("/conversations/{conversation_id}/merge", response_model=MergeResult)
def merge_conversation(
    conversation_id: uuid.UUID, data: MergeRequest, session: SessionDep, principal: Replier
) -> MergeResult:
    """Merge another conversation of the same customer into this one (it is closed with a pointer here)."""
    return service.merge_conversations(
        session, principal=principal, target_id=conversation_id, source_id=data.source_id
    )


@router.post("/conversations/{conversation_id}/link-customer", response_model=ConversationSummary)
def link_customer(
    conversation_id: uuid.UUID, data: ContactLink, session: SessionDep, principal: Replier
) -> ConversationSummary:
    """Link the conversation's contact, who only claimed who they are, to an existing customer: the contact and
    its conversations then belong to that customer. Audited; refused for a verified contact."""
    return service.link_contact(
        session, principal=principal, conversation_id=conversation_id, customer_id=data.customer_id
    )


@router.post("/messages/{message_id}/retry", response_model=MessagePublic, status_code=202)
def retry_message(message_id: uuid.UUID, session: SessionDep, principal: Replier) -> MessagePublic:
    """Send a failed reply again: a new delivery job, the same Message-ID (failed -> pending -> sent)."""
    return service.retry_message(session, principal=principal, message_id=message_id)


# --- Settings, canned responses, notifications, availability, typing ---------------------------------------------


@router.get("/inbox-health", response_model=list[InboxHealth])
def inbox_health(session: SessionDep, principal: Reader) -> list[InboxHealth]:
    """Per inbox that ever had a message or refused a webhook call: last inbound and outbound, the last 30 days'
    replies, failed ones and those still waiting for their channel, and the provider webhook calls refused."""
    return list(service.inbox_health(session, workspace_id=principal.workspace_id).values())


@router.get("/inboxes/{inbox_id}", response_model=InboxPublic)
def get_inbox(inbox_id: uuid.UUID, session: SessionDep, principal: Reader) -> InboxPublic:
    return service.get_inbox(session, workspace_id=principal.workspace_id, inbox_id=inbox_id)


@router.patch("/inboxes/{inbox_id}", response_model=InboxPublic)
def update_inbox(
    inbox_id: uuid.UUID, data: InboxUpdate, session: SessionDep, principal: Manager
) -> InboxPublic:
    """Change an inbox's name, reopen window, round robin, capacity, team or SLA policy."""
    return service.update_inbox(session, principal=principal, inbox_id=inbox_id, data=data)


@router.get("/sla-policies", response_model=list[SlaPolicyPublic])
def list_sla_policies(session: SessionDep, principal: Reader) -> list[SlaPolicyPublic]:
    return service.list_sla_policies(session, workspace_id=principal.workspace_id)


@router.get("/sla-policies/{policy_id}", response_model=SlaPolicyPublic)
def get_sla_policy(policy_id: uuid.UUID, session: SessionDep, principal: Reader) -> SlaPolicyPublic:
    return service.get_sla_policy(session, workspace_id=principal.workspace_id, policy_id=policy_id)


@router.put("/sla-policies/{policy_id}", response_model=SlaPolicyPublic)
def update_sla_policy(
    policy_id: uuid.UUID, data: SlaPolicyUpdate, session: SessionDep, principal: Manager
) -> SlaPolicyPublic:
    """Replace a policy's targets, business hours and holidays (and apply it to `inbox_ids`)."""
    return service.update_sla_policy(session, principal=principal, policy_id=policy_id, data=data)


@router.get("/canned-responses", response_model=list[CannedResponsePublic])
def list_canned(
    session: SessionDep,
    principal: Reader,
    prefix: Annotated[str, Query(max_length=64, description="Shortcuts starting with this.")] = "",
) -> list[CannedResponsePublic]:
    """Canned responses by shortcut. A reply whose whole text is `/shortcut` is sent as that content."""
    return service.list_canned(session, workspace_id=principal.workspace_id, prefix=prefix)


@router.post("/canned-responses", response_model=CannedResponsePublic, status_code=201)
def create_canned(
    data: CannedResponseCreate, session: SessionDep, principal: Manager
) -> CannedResponsePublic:
    return service.create_canned(session, principal=principal, data=data)


@router.get("/canned-responses/{canned_id}", response_model=CannedResponsePublic)
def get_canned(canned_id: uuid.UUID, session: SessionDep, principal: Reader) -> CannedResponsePublic:
    return service.get_canned(session, workspace_id=principal.workspace_id, canned_id=canned_id)


@router.patch("/canned-responses/{canned_id}", response_model=CannedResponsePublic)
def update_canned(
    canned_id: uuid.UUID, data: CannedResponseUpdate, session: SessionDep, principal: Manager
) -> CannedResponsePublic:
    return service.update_canned(session, principal=principal, canned_id=canned_id, data=data)


@router.delete("/canned-responses/{canned_id}", status_code=204)
def delete_canned(canned_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    service.delete_canned(session, principal=principal, canned_id=canned_id)
    return Response(status_code=204)


@router.get("/notifications", response_model=NotificationList)
def list_notifications(session: SessionDep, principal: Reader, unread: bool = False) -> NotificationList:
    """The caller's mentions and assignments, unread first; live as `inbox.notification.created` events."""
    return service.list_notifications(session, principal=principal, unread_only=unread)


@router.post("/notifications/{notification_id}/read", response_model=NotificationList)
def read_notification(
    notification_id: uuid.UUID, session: SessionDep, principal: OwnAccount
) -> NotificationList:
    service.mark_read(session, principal=principal, notification_id=notification_id)
    return service.list_notifications(session, principal=principal)


@router.post("/notifications/read-all", response_model=NotificationList)
def read_all_notifications(session: SessionDep, principal: OwnAccount) -> NotificationList:
    service.mark_read(session, principal=principal)
    return service.list_notifications(session, principal=principal)


@router.get("/availability", response_model=AvailabilityPublic)
def get_availability(session: SessionDep, principal: Replier) -> AvailabilityPublic:
    """The caller's availability (online, busy, offline); round robin only assigns to online agents."""
    return service.get_availability(session, principal=principal)


@router.put("/availability", response_model=AvailabilityPublic)
def set_availability(data: AvailabilityUpdate, session: SessionDep, principal: Replier) -> AvailabilityPublic:
    return service.set_availability(session, principal=principal, status=data.status)


@router.get("/availability/members", response_model=dict[str, str])
def members_availability(session: SessionDep, principal: Reader) -> dict[str, str]:
    """Every member's availability, by membership id."""
    found = service.availability_of(session, workspace_id=principal.workspace_id)
    return {str(k): v.value for k, v in found.items()}


@router.post("/conversations/{conversation_id}/typing", status_code=204)
def agent_typing(
    conversation_id: uuid.UUID, data: TypingCreate, session: SessionDep, principal: Replier
) -> Response:
    """The caller is typing (send at most one every 2 s); shown live on the visitor's widget, not stored."""
    service.agent_typing(session, principal=principal, conversation_id=conversation_id, private=data.private)
    return Response(status_code=204)


@router.get("/settings", response_model=InboxSettingsPublic)
def get_settings(session: SessionDep, principal: Reader) -> InboxSettingsPublic:
    """Workspace-wide inbox settings: which conversations agents see (`agent_scope`)."""
    return service.get_inbox_settings(session, workspace_id=principal.workspace_id)


@router.put("/settings", response_model=InboxSettingsPublic)
def put_settings(
    data: InboxSettingsUpdate,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.INBOX_MANAGE)],
) -> InboxSettingsPublic:
    """Change which conversations agents see within their inboxes: `inboxes` (all), `team` or `own`."""
    return service.update_inbox_settings(session, principal=principal, data=data)
