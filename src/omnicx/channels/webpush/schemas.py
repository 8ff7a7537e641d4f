"""Contracts of web push: what a site's page sends (a browser's `PushSubscription`, who it claims the visitor is),
what staff read and send (the workspace's key, its subscriptions, a test push) and the notification itself."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Self
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from omnicx.kernel.text import PlainText

MAX_URL = 2048
# What the visitor says about themselves (ids a tracking SDK holds): plain text, short.
VisitorId = PlainText
_EMAIL = TypeAdapter(EmailStr)


def b64url_bytes(value: str) -> bytes:
    """The bytes of an unpadded base64url string (as browsers give subscription keys), or ValueError."""
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("not base64url") from error


class BrowserKeys(BaseModel):
    """`PushSubscription.toJSON().keys`: the browser's P-256 public key and its 16-byte auth secret."""

    p256dh: str = Field(min_length=86, max_length=88, description="Uncompressed P-256 point, base64url.")
    auth: str = Field(min_length=22, max_length=24, description="16-byte authentication secret, base64url.")

    @field_validator("p256dh")
    @classmethod
    def _on_the_curve(cls, value: str) -> str:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_bytes(value))
        except ValueError as error:
            raise ValueError("p256dh is not a P-256 public key") from error
        return value

    @field_validator("auth")
    @classmethod
    def _sixteen_bytes(cls, value: str) -> str:
        if len(b64url_bytes(value)) != 16:
            raise ValueError("auth must be 16 bytes")
        return value


class BrowserSubscription(BaseModel):
    """`PushSubscription.toJSON()`, as `pushManager.subscribe(...)` gives it."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(max_length=MAX_URL, description="The push service's URL for this browser.")
    keys: BrowserKeys

    @field_validator("endpoint")
    @classmethod
    def _web_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("endpoint must be an https URL")
        return value


class SubscribeRequest(BaseModel):
    """What a site's page posts once the browser subscribed. `anonymousId` and `userId` are claims: the
    subscription joins the profile of the device (its anonymous id) unless someone identified holds it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    write_key: str | None = Field(default=None, alias="writeKey", max_length=200)
    anonymous_id: VisitorId = Field(alias="anonymousId", min_length=1, max_length=200)
    user_id: VisitorId | None = Field(default=None, alias="userId", max_length=200)
    subscription: BrowserSubscription
    url: str | None = Field(
        default=None,
        max_length=MAX_URL,
        description="The page a notification opens when clicked (a path of the site, or an http(s) URL).",
    )

    @field_validator("url")
    @classmethod
    def _page(cls, value: str | None) -> str | None:
        if value is None or (value.startswith("/") and not value.startswith("//")):
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("url must be a path or an http(s) URL")
        return value


class UnsubscribeRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    write_key: str | None = Field(default=None, alias="writeKey", max_length=200)
    endpoint: str = Field(min_length=1, max_length=MAX_URL)


class Notification(BaseModel):
    """The payload a push carries, read by omnicx's service worker (`omnicx-sw.js`). It holds nothing secret (no
    message text, no pickup code, no link carrying a token): a subscription's link to a customer rests on what a
    site's page said."""

    title: str = Field(max_length=200)
    body: str = Field(max_length=500)
    url: str = Field(max_length=MAX_URL)
    tag: str = Field(max_length=200, description="A notification replaces an earlier one with the same tag.")


class Subject(BaseModel):
    """Who runs the sender, as push services ask: a `mailto:` address or an https URL."""

    subject: str = Field(max_length=320, examples=["mailto:support@example.com"])

    @field_validator("subject")
    @classmethod
    def _contact(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("mailto:"):
            try:
                _EMAIL.validate_python(value.removeprefix("mailto:"))
            except ValidationError:
                raise ValueError(f"{value} is not a mailto: link to a deliverable address") from None
            return value
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("the subject is a mailto: address or an https URL")
        return value


class WebPushStatus(BaseModel):
    """A workspace's web push: the key sites subscribe with, who it says runs the sender, its subscribers."""

    public_key: str = Field(description="The applicationServerKey: an uncompressed P-256 point, base64url.")
    subject: str
    subscriptions: int
    linked: int = Field(description="Subscriptions joined to a customer (the device's profile).")
    push_services: list[str] = Field(description="The push services this server posts to.")


class SubscriptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID | None
    anonymous_id: str
    claimed_user_id: str | None = Field(
        description="The user id the site's page sent: a claim, never linked."
    )
    endpoint_host: str
    created_at: datetime
    updated_at: datetime
    last_sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None


class SendTestPush(BaseModel):
    """Send a test notification to every browser of a customer, or to one subscription."""

    customer_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.customer_id is None) == (self.subscription_id is None):
            raise ValueError("give either customer_id or subscription_id")
        return self


class SendTestResult(BaseModel):
    queued: int = Field(description="Notifications queued, one per subscribed browser.")
