"""Errors of web push, each with a stable code."""

from __future__ import annotations

from omnicx.kernel.errors import Conflict, Invalid, NotFound


class SubscriptionNotFound(NotFound):
    code = "webpush_subscription_not_found"


class EndpointRefused(Invalid):
    """The subscription's endpoint is not on a push service this server posts to (`OMNICX_WEBPUSH_PUSH_SERVICES`):
    a site's page must not make omnicx post anywhere else."""

    code = "webpush_endpoint_refused"


class KeyUnreadable(Conflict):
    """The workspace's VAPID private key cannot be unsealed (the server's secret key changed): rotate the key, and
    sites subscribe again with the new one."""

    code = "webpush_key_unreadable"
