"""Reading a Segment message's context: page, campaign, device and traffic source. Pure: no database.

Used at ingestion (to fill `context.campaign` from the page URL, as analytics.js does) and by the sessioniser
(to know where a visit came from), so both read a message the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from omnicx.tracking.grouping_sources import SEARCH_SOURCES

UTM_KEYS = {
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "name",
    "utm_term": "term",
    "utm_content": "content",
}
PAGE_KEYS = ("url", "path", "referrer", "search", "title")
_MOBILE = re.compile(r"mobi|iphone|ipod|android.+mobile|windows phone", re.IGNORECASE)
_TABLET = re.compile(r"ipad|tablet|kindle|silk|android(?!.*mobile)", re.IGNORECASE)
_BOT = re.compile(r"bot|crawl|spider|slurp", re.IGNORECASE)


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: object) -> str | None:
    """A non-empty string value, or None (numbers are accepted and turned into strings)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def page_of(message: dict[str, Any]) -> dict[str, str]:
    """The page a message was sent from: `context.page`, completed by a page call's own properties."""
    page = {k: v for k, v in as_dict(as_dict(message.get("context")).get("page")).items() if k in PAGE_KEYS}
    if message.get("type") == "page":
        for key, value in as_dict(message.get("properties")).items():
            if key in PAGE_KEYS and key not in page:
                page[key] = value
    return {k: s for k, v in page.items() if (s := text(v)) is not None}


def campaign_from_url(url: str | None) -> dict[str, str]:
    """utm_* (and gclid) parameters of a URL, under Segment's `context.campaign` names."""
    if not url or "?" not in url:
        return {}
    return dict(_campaign_pairs(url))


@lru_cache(maxsize=4096)
def _campaign_pairs(url: str) -> tuple[tuple[str, str], ...]:
    """Cached: the same landing URLs come back again and again, and this runs for every ingested event."""
    found: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(url).query):
        name = UTM_KEYS.get(key.lower())
        if name and value:
            found[name] = value
        elif key.lower() == "gclid" and value:
            found["gclid"] = value
    return tuple(found.items())


def campaign_of(message: dict[str, Any], page: dict[str, str] | None = None) -> dict[str, str]:
    """`context.campaign` if the sender filled it, else parsed from the page URL's query (`page`: the message's
    `page_of`, when the caller already has it)."""
    given = as_dict(as_dict(message.get("context")).get("campaign"))
    if given:
        return {k: s for k, v in given.items() if (s := text(v)) is not None}
    return campaign_from_url((page_of(message) if page is None else page).get("url"))


def device_category(context: dict[str, Any]) -> str:
    """desktop, mobile, tablet, bot or other, from `context.device.type` or else the user agent."""
    kind = str(as_dict(context.get("device")).get("type") or "").lower()
    if kind in ("ios", "android", "mobile", "phone"):
        return "mobile"
    if kind in ("tablet", "ipad"):
        return "tablet"
    if kind in ("desktop", "macos", "windows", "linux"):
        return "desktop"
    return _agent_category(str(context.get("userAgent") or ""))


@lru_cache(maxsize=1024)
def _agent_category(agent: str) -> str:
    """Cached: a site sees a few hundred distinct user agents, and this runs for every event sessionised."""
    if not agent:
        return "other"
    if _BOT.search(agent):
        return "bot"
    if _TABLET.search(agent):
        return "tablet"
    if _MOBILE.search(agent):
        return "mobile"
    return "desktop"


def host_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _search_engine(host: str) -> str | None:
    """`google` for www.google.co.uk: a referrer host whose name (or itself) is one of GA4's search sites."""
    if host in SEARCH_SOURCES:
        return host
    for label in host.split("."):
        if label in SEARCH_SOURCES:
            return label
    return None


def traffic_source(
    campaign: dict[str, str], referrer: str | None, page_url: str | None
) -> tuple[str, str, str]:
    """(source, medium, campaign name) of a visit, the way GA4 derives them.

    Explicit campaign parameters win; a Google Ads click id means google / cpc; an external referrer is
    organic for search engines and a referral otherwise; nothing (or an internal referrer) is direct.
    """
    if campaign.get("source"):
        return campaign["source"], campaign.get("medium") or "(not set)", campaign.get("name") or ""
    if campaign.get("gclid"):
        return "google", "cpc", campaign.get("name") or ""
    ref_host = host_of(referrer)
    if ref_host and ref_host != host_of(page_url):
        engine = _search_engine(ref_host)
        if engine is not None:
            return engine, "organic", ""
        return ref_host, "referral", ""
    return "(direct)", "(none)", ""


def campaign_key(campaign: dict[str, str]) -> tuple[str, str, str] | None:
    """What identifies an explicit campaign (None when the message carries none): a change starts a visit."""
    if campaign.get("source"):
        return (
            campaign["source"].lower(),
            (campaign.get("medium") or "").lower(),
            (campaign.get("name") or "").lower(),
        )
    if campaign.get("gclid"):
        return ("google", "cpc", (campaign.get("name") or "").lower())
    return None
