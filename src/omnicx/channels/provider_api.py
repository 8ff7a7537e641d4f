"""What the providers' HTTP APIs have in common as omnicx calls them: a refusal (HTTP status, the provider's error
code and message, whether a retry can help) and a client closed after use. Each provider parses its own error
body (`sms/twilio.py`, `whatsapp/cloud.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from omnicx.kernel.errors import Invalid

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ApiError:
    """What a provider said when it refused a call."""

    provider: str
    status: int
    code: int | None
    message: str
    transient_codes: frozenset[int] = field(default=frozenset(), repr=False)

    @property
    def transient(self) -> bool:
        """Throttled, or the provider's side failing: worth retrying later. Other refusals are final."""
        return self.status == 429 or self.status >= 500 or self.code in self.transient_codes

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"{self.provider}{code} ({self.status}): {self.message}"


class ProviderError(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or an empty one (an HTML error page, an empty body)."""
    try:
        body: Any = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class ApiClient:
    """An HTTP client for one provider account, used as a context manager so its connections are closed."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()


@contextmanager
def account_check(provider: str, refusal: str, *, hidden: str | None = None) -> Iterator[None]:
    """Turn what a provider says while an account is being proven into the error shown to whoever sets the inbox
    up: `{provider} {refusal}: ...` when it refused, `{provider} could not be reached: ...` when it did not answer.
    `hidden` (a token that is part of the API's URLs) is never repeated."""
    try:
        yield
    except ProviderError as error:
        raise Invalid(f"{provider} {refusal}: {without(str(error), hidden)}") from error
    except httpx.HTTPError as error:
        raise Invalid(f"{provider} could not be reached: {without(str(error), hidden)}") from error


def without(text: str, hidden: str | None) -> str:
    """`text` with `hidden` (a token that is part of a provider's URLs) taken out."""
    return text.replace(hidden, "<token>") if hidden else text
