"""Twilio's Programmable Messaging as omnicx speaks it: the webhook signature, the form it posts, its statuses
and errors, and the calls omnicx makes (does this account hold that number; send a message; a message's media,
at the `MediaUrl{N}` the webhook names, under the account's Basic auth).

The signature (`X-Twilio-Signature`) is HMAC-SHA1 under the account's auth token of the URL Twilio called,
followed by every form parameter as name + value, sorted by name (then value): it is checked on the raw body's
parameters, before anything is parsed into a message or stored. Twilio signs the URL as it was configured,
with or without the default port, so both forms are accepted (as Twilio's own validator does).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from omnicx.channels.provider_api import TIMEOUT_SECONDS, ApiClient, ApiError, ProviderError, json_body
from omnicx.inbox.enums import DeliveryStatus

API_BASE = "https://api.twilio.com"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_MEDIA = 10  # an MMS carries at most ten media

# Twilio's MessageStatus values omnicx records; the others (queued, sending, accepted, scheduled...) say
# nothing the agent needs.
STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


def form(body: bytes) -> list[tuple[str, str]]:
    """The parameters of a form-encoded body, in order, blanks kept (they are signed too). Raises ValueError
    on a body that is not form encoding of UTF-8."""
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's signature of a request to `url` carrying `params`."""
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_forms(url: str) -> tuple[str, str]:
    """`url` without and with its scheme's default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = 443 if parts.scheme == "https" else 80
    without = url if parts.port is None else urlunsplit(parts._replace(netloc=host))
    with_port = url if parts.port is not None else urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    return without, with_port


def signature_valid(auth_token: str, url: str, params: list[tuple[str, str]], given: str | None) -> bool:
    """Whether `given` is Twilio's signature of this request, in constant time for each form of the URL."""
    if not given:
        return False
    presented = given.strip().encode()
    return any(
        hmac.compare_digest(signature(auth_token, form_of_url, params).encode(), presented)
        for form_of_url in _port_forms(url)
    )


def account_media(url: str, *, api_base: str, account_sid: str) -> bool:
    """Whether `url` is one of the account's own message media under its API: the only URLs omnicx sends the
    account's credentials to."""
    try:
        given, base = httpx.URL(url), httpx.URL(api_base.rstrip("/"))
    except httpx.InvalidURL:
        return False
    prefix = f"{base.path.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages/"
    return (
        (given.scheme, given.host, given.port) == (base.scheme, base.host, base.port)
        and given.path.startswith(prefix)
        and "/Media/" in given.path
        and ".." not in given.path
    )


def api_error(response: httpx.Response) -> ApiError:
    body = json_body(response)
    code = body.get("code")
    message = str(body.get("message") or response.reason_phrase or "no reason given")
    return ApiError("Twilio", response.status_code, code if isinstance(code, int) else None, message)


class TwilioApi(ApiClient):
    """The calls omnicx makes to one Twilio account (`api_base` replaceable, for a local simulator or tests)."""

    def __init__(self, account_sid: str, auth_token: str, *, api_base: str = API_BASE) -> None:
        self.account_sid = account_sid
        super().__init__(
            httpx.Client(
                base_url=f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}",
                auth=(account_sid, auth_token),
                timeout=TIMEOUT_SECONDS,
            )
        )

    def owns_number(self, number: str) -> bool:
        """Whether `number` (E.164) is one of the account's incoming phone numbers."""
        response = self._client.get("/IncomingPhoneNumbers.json", params={"PhoneNumber": number})
        if response.status_code != 200:
            raise ProviderError(api_error(response))
        numbers = response.json().get("incoming_phone_numbers") or []
        return any(isinstance(n, dict) and n.get("phone_number") == number for n in numbers)

    def send(self, *, sender: str, to: str, body: str, status_callback: str) -> str:
        """Send one message; returns Twilio's id for it (its status callbacks name it)."""
        response = self._client.post(
            "/Messages.json", data={"From": sender, "To": to, "Body": body, "StatusCallback": status_callback}
        )
        if response.status_code not in (200, 201):
            raise ProviderError(api_error(response))
        return str(response.json()["sid"])
