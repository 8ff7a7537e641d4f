"""Errors of the inbox domain, each with a stable code."""

from __future__ import annotations

from omnicx.errors import Conflict, Invalid, NotFound


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
    """Another inbox already receives at this address."""

    code = "inbox_exists"


class InvalidTransition(Invalid):
    """The change is not allowed in the conversation's current state (e.g. snoozing without a time)."""

    code = "invalid_transition"


class UnroutableMessage(Invalid):
    """An inbound message names no sender omnicx can recognise."""

    code = "unroutable_message"


class DuplicateSlaPolicy(Conflict):
    """A policy of that name already exists in the workspace."""

    code = "sla_policy_exists"
