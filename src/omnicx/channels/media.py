"""Fetching the media a provider's webhook names but does not carry (a photo by MMS, a WhatsApp voice note, a
Messenger image, a Telegram document), shared by the provider adapters.

A webhook is answered before anything is downloaded: the inbox stores the message with its attachments pending
and queues `inbox.fetch_attachments` (`channels/tasks.py`), which asks each provider's adapter to `fetch` them.
What an adapter raises decides what happens next:

- `MediaUnavailable`: throttled (429), the provider failing (5xx), the network, a download too slow: the job
  retries with backoff, and after its last attempt the attachment is marked failed;
- `MediaRefused`: the provider refused for good (another 4xx), or omnicx's own rules did: too large, a checksum
  that does not match, a URL outside the provider's API, a non-public address. Marked failed, never retried.

`download` is the one GET every adapter uses. It sends credentials only to the URL's own origin (never to a
host a redirect leads to), follows at most three redirects and only to http(s), reads at most
`channel_media_max_bytes` (a declared larger size is refused before reading), and, unless
`Settings.media_from_private_addresses` allows it (development and tests, for the providers' local stand-ins),
refuses hosts that resolve to a loopback, private, link-local or otherwise non-public address, at each hop. The
check resolves the name before httpx connects, so a name re-pointed between the two (DNS rebinding) is not caught.
Messages never carry a URL: a Telegram bot token is part of its file URLs, and `hidden` takes it out of the rest.
"""

from __future__ import annotations

import hashlib
import ipaddress
import mimetypes
import re
import socket
import time
from base64 import b64encode
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import httpx

from omnicx.channels.provider_api import TIMEOUT_SECONDS, ProviderError, without
from omnicx.inbox.schemas import Attachment, AttachmentToFetch
from omnicx.kernel.settings import Settings

MAX_REDIRECTS = 3
# However slowly a server trickles bytes within each read's timeout, one file gets this long in all.
DEADLINE_SECONDS = 120.0
CHUNK_BYTES = 64 * 1024
GENERIC_TYPE = "application/octet-stream"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# The usual extension of the types providers send (the platform's table knows fewer of them, and differently).
_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/aac": ".aac",
    "audio/amr": ".amr",
    "video/mp4": ".mp4",
    "video/3gpp": ".3gp",
    "video/webm": ".webm",
    "application/pdf": ".pdf",
    "application/x-tgsticker": ".tgs",
}


class MediaRefused(Exception):
    """The media cannot be had, and asking again will not change that: the attachment is marked failed."""


class MediaUnavailable(Exception):
    """The media could not be had this time (throttled, the provider failing, the network): retried later."""


@dataclass(frozen=True)
class MediaLimits:
    """What one fetch may do: how many bytes, from which addresses, how long each read may wait."""

    max_bytes: int
    private_addresses: bool
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def of(cls, settings: Settings) -> MediaLimits:
        return cls(
            max_bytes=settings.channel_media_max_bytes,
            private_addresses=settings.media_from_private_addresses,
        )


@dataclass(frozen=True)
class Downloaded:
    data: bytes
    content_type: str | None  # as the server labelled it


class MediaSource(Protocol):
    """A provider adapter that fetches the attachments its webhooks name."""

    def fetch(
        self, item: AttachmentToFetch, *, credentials: dict[str, str], limits: MediaLimits
    ) -> Attachment:
        """The attachment's bytes, name and type; `MediaUnavailable` to retry later, `MediaRefused` for good."""
        ...


def download(
    url: str,
    *,
    provider: str,
    limits: MediaLimits,
    hosts: frozenset[str] | None = None,
    auth: tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    hidden: str | None = None,
) -> Downloaded:
    """GET `url`'s bytes under `limits`. `hosts`: the only hosts the first URL may name (a provider's API);
    `auth` and `headers` go to that URL's origin only."""
    target = _url(url)
    if hosts is not None and (target.host or "").lower() not in hosts:
        raise MediaRefused(f"{provider} named media on {target.host or 'no host'}, outside its API")
    origin, sent = _origin(target), _credentials(auth, headers)
    deadline = time.monotonic() + DEADLINE_SECONDS
    with provider_calls(provider, hidden=hidden), httpx.Client(timeout=limits.timeout) as client:
        for _ in range(MAX_REDIRECTS + 1):
            _check_address(target, provider=provider, limits=limits)
            own = _origin(target) == origin
            response = client.send(
                client.build_request("GET", target, headers=sent if own else None), stream=True
            )
            try:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    target = _url(str(target.join(location)))
                    continue
                _check_status(response, provider=provider)
                return Downloaded(_read(response, limits, deadline), response.headers.get("content-type"))
            finally:
                response.close()
    raise MediaRefused(f"{provider} redirected the media more than {MAX_REDIRECTS} times")


@contextmanager
def provider_calls(provider: str, *, hidden: str | None = None) -> Iterator[None]:
    """Turn what a provider's API says into `MediaUnavailable` or `MediaRefused`, with `hidden` (a token that is
    part of its URLs) taken out, and nothing of the original chained (it may name the URL)."""
    try:
        yield
    except ProviderError as error:
        message = without(str(error), hidden)
        if error.error.transient:
            raise MediaUnavailable(message) from None
        raise MediaRefused(message) from None
    except httpx.HTTPError as error:
        reason = without(str(error), hidden) or type(error).__name__
        raise MediaUnavailable(f"{provider} could not be reached: {reason}") from None


def _credentials(auth: tuple[str, str] | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    """The headers that prove who asks: the given ones, and Basic auth of `auth`."""
    sent = dict(headers or {})
    if auth is not None:
        sent["Authorization"] = "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
    return sent


def _url(text: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError) as error:
        raise MediaRefused("the media URL is not a URL") from error
    if url.scheme not in ("http", "https") or not url.host:
        raise MediaRefused(f"media is fetched over http(s) only, not {url.scheme or 'a relative URL'}")
    return url


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host.lower(), url.port


def _check_address(url: httpx.URL, *, provider: str, limits: MediaLimits) -> None:
    """Refuse a host resolving to a non-public address, unless the settings allow them."""
    if limits.private_addresses:
        return
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(url.host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise MediaUnavailable(f"{provider}'s media host {url.host} could not be resolved") from error
    for info in found:
        address = ipaddress.ip_address(str(info[4][0]).partition("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise MediaRefused(f"{provider}'s media host {url.host} is not a public address")


def _check_status(response: httpx.Response, *, provider: str) -> None:
    status = response.status_code
    if status == 200:
        return
    reason = f"{provider} answered {status} {response.reason_phrase}".rstrip()
    if status == 429 or status >= 500:
        raise MediaUnavailable(reason)
    raise MediaRefused(reason)


def _read(response: httpx.Response, limits: MediaLimits, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise MediaRefused(
            f"the media is {int(declared)} bytes, more than the {limits.max_bytes} bytes allowed"
        )
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes(CHUNK_BYTES):
        total += len(chunk)
        if total > limits.max_bytes:
            raise MediaRefused(f"the media is more than the {limits.max_bytes} bytes allowed")
        if time.monotonic() > deadline:
            raise MediaUnavailable(f"the media took more than {DEADLINE_SECONDS:g} s to download")
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(size: object, limits: MediaLimits) -> None:
    """Refuse media a provider says is larger than allowed, before asking for it."""
    count = int(size) if isinstance(size, int) or (isinstance(size, str) and size.isdigit()) else 0
    if count > limits.max_bytes:
        raise MediaRefused(f"the media is {count} bytes, more than the {limits.max_bytes} bytes allowed")


def sha256_matches(data: bytes, expected: str) -> bool:
    """Whether `data` has the SHA-256 `expected`, written in hex or in base64 (providers use both)."""
    digest = hashlib.sha256(data).digest()
    given = expected.strip()
    return given.lower() == digest.hex() or given.rstrip("=") == b64encode(digest).decode().rstrip("=")


def kind_of(content_type: str) -> str:
    """What a file shows as in a message's text: `image`, `video`, `audio`, or `file`."""
    major = content_type.partition("/")[0].strip().lower()
    return major if major in ("image", "video", "audio") else "file"


def filename_for(stem: str, content_type: str, *, name: str | None = None) -> str:
    """The name an attachment is shown and downloaded under: the provider's own `name` (its last path
    segment, without control characters), else `stem` with the usual extension of `content_type`."""
    own = _CONTROL.sub("", re.split(r"[\\/]", name or "")[-1]).strip()[:200]
    if own and own not in (".", ".."):
        return own
    bare = content_type.partition(";")[0].strip().lower()
    extension = _EXTENSIONS.get(bare) or mimetypes.guess_extension(bare) or ""
    return f"{_CONTROL.sub('', stem).strip()[:120] or 'attachment'}{extension}"


def attachment(item: AttachmentToFetch, got: Downloaded, *, filename: str | None = None) -> Attachment:
    """The fetched attachment: the type the provider declared in its webhook (else the server's label)."""
    declared = item.content_type if item.content_type != GENERIC_TYPE else None
    content_type = (declared or got.content_type or GENERIC_TYPE).strip()[:255] or GENERIC_TYPE
    return Attachment(filename=(filename or item.filename)[:255], content_type=content_type, data=got.data)
