"""One push to one browser with pywebpush: the payload encrypted for the browser (aes128gcm, RFC 8291), signed
with the workspace's VAPID key (RFC 8292), and what the push service's answer means for the subscription."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from py_vapid import Vapid, VapidException

from omnicx.channels.webpush.schemas import Notification

# How long a push service keeps a notification for a browser that is offline (RFC 8030 TTL).
TTL_SECONDS = 24 * 3600
TIMEOUT_SECONDS = 10.0
GONE = frozenset({404, 410})  # the browser unsubscribed, or the subscription expired


class Outcome(StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"  # forget the subscription
    REFUSED = "refused"  # for good: retrying would not help
    RETRY = "retry"  # throttled (429), the push service failed (5xx) or could not be reached


@dataclass(frozen=True)
class Target:
    """Where and how to push: the browser's subscription (`endpoint`, `keys`), the key that signs, its subject."""

    browser: dict[str, Any]
    signer: Vapid
    subject: str


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    error: str = ""


def push(target: Target, notification: Notification) -> PushResult:
    """Send `notification`; never raises for what the push service or the network answer."""
    # Imported here: pywebpush brings aiohttp and requests, a third of a second at every start of every command.
    from pywebpush import WebPushException, webpush

    endpoint = str(target.browser.get("endpoint", ""))
    try:
        webpush(
            target.browser,
            data=notification.model_dump_json(),
            vapid_private_key=target.signer,
            vapid_claims={"sub": target.subject},  # pywebpush adds `aud` and `exp` to this dict
            ttl=TTL_SECONDS,
            timeout=TIMEOUT_SECONDS,
        )
    except WebPushException as error:
        return _answered(error.status_code, _scrubbed(str(error.message), endpoint))
    except VapidException as error:
        return PushResult(Outcome.REFUSED, f"the VAPID claims were refused: {error}")
    except OSError as error:  # requests' connection errors and timeouts
        return PushResult(Outcome.RETRY, _scrubbed(f"{type(error).__name__}: {error}", endpoint))
    return PushResult(Outcome.DELIVERED)


def _answered(status: int | None, message: str) -> PushResult:
    if status in GONE:
        return PushResult(Outcome.GONE, message)
    if status is not None and (status == 429 or status >= 500):
        return PushResult(Outcome.RETRY, message)
    return PushResult(Outcome.REFUSED, message)


def _scrubbed(text: str, endpoint: str) -> str:
    """`text` without the endpoint's path (it is the browser's address at its push service: kept secret)."""
    path = urlsplit(endpoint).path
    scrubbed = text.replace(path, "/…") if len(path) > 1 else text
    return scrubbed[:500]
