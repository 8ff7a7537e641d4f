"""Errors of the inbox domain, each with a stable code."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Invalid, NotFound


class InboxNotFound(NotFound):
    code = "inbox_not_found"


class ConversationNotFound(NotFound):
    code = "conversation_not_found"


class MessageNotFound(NotFound):
    code = "message_not_found"


class AssigneeNotFound(NotFound):
    """The assignee is not a member of this workspace."""

    code = "assignee_not_found"


class DuplicateInbox(Conflict):
    """Another inbox of this workspace already receives at this address."""

    code = "inbox_exists"


class AddressUnavailable(Conflict):
    """The address cannot be used for an inbox in this workspace: another workspace has proven it (or its
    domain), or holds it while this workspace has not proven it. Says no more, whichever it is."""

    code = "inbox_address_unavailable"


class OutsideWindow(Invalid):
    """The channel would refuse this reply now (WhatsApp free text more than 24 hours after the customer wrote)."""

    code = "outside_window"


class InvalidTransition(Invalid):
    """The change is not allowed in the conversation's current state (e.g. snoozing without a time)."""

    code = "invalid_transition"


class UnroutableMessage(Invalid):
    """An inbound message names no sender omnicx can recognise."""

    code = "unroutable_message"


class DuplicateSlaPolicy(Conflict):
    """A policy of that name already exists in the workspace."""

    code = "sla_policy_exists"


class InvalidReportRange(Invalid):
    """The report's start is after its end, or the range is longer than allowed."""

    code = "invalid_report_range"


class MergeRefused(Invalid):
    """Two conversations cannot be merged (same conversation, other customer, already merged...)."""

    code = "merge_refused"


class RetryRefused(Invalid):
    """Only an outgoing message whose delivery failed can be sent again."""

    code = "retry_refused"


class CannedResponseNotFound(NotFound):
    code = "canned_response_not_found"


class DuplicateCannedResponse(Conflict):
    """Another canned response of the workspace already uses this shortcut."""

    code = "canned_response_exists"


class NotificationNotFound(NotFound):
    code = "notification_not_found"


class SlaPolicyNotFound(NotFound):
    code = "sla_policy_not_found"


class LinkRefused(Invalid):
    """Only a contact that never proved who they are is linked to a customer by hand: a verified sender's own
    messages link them."""

    code = "link_refused"
