"""Who really sent an inbound email: DMARC-aligned authentication of the `From` domain.

A message's sender is verified when one of these holds, and only then:

- a DKIM signature verifies (dkimpy, its key read from `selector._domainkey.domain`), covers the `From` header,
  signs the whole body (no `l=`), and its `d=` aligns with the `From` domain;
- SPF (pyspf) passes for the envelope sender (MAIL FROM, or the HELO name for a bounce) from the connecting
  address, and that domain aligns with the `From` domain;
- the message was handed over by a relay the operator trusts (`Settings.mail_trusted_relays`: it connected
  from one of the relay's networks) and the relay's own `Authentication-Results` header says DMARC passed for
  the `From` domain, or that DKIM or SPF passed for an aligned domain.

Alignment follows the `From` domain's DMARC record (`_dmarc.domain`, else the organisational domain's):
relaxed unless it says `adkim=s` / `aspf=s`; relaxed means the same organisational domain (Public Suffix
List). A message with no `From`, several `From` headers or several addresses in it is never verified.
`Authentication-Results` headers from anyone else are ignored: they are text any sender can write.

Every DNS question goes through the runtime's `Resolver`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import getaddresses
from functools import cache
from typing import Any

import dkim
import spf
from publicsuffixlist import PublicSuffixList

from omnicx.inbox.enums import AuthMethod, AuthResult
from omnicx.inbox.schemas import SenderAuthentication
from omnicx.kernel.dns import DnsUnavailable, RecordType, Resolver
from omnicx.kernel.settings import TrustedRelay

log = logging.getLogger("omnicx.channels.email.authentication")

_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class Envelope:
    """What the SMTP conversation says about a message: who connected, how it introduced itself, the
    envelope sender (empty for a bounce)."""

    client_ip: str
    helo: str
    mail_from: str


@dataclass(frozen=True)
class DmarcPolicy:
    """A DMARC record's alignment modes and policy (RFC 7489); relaxed when the domain publishes none."""

    found: bool = False
    strict_dkim: bool = False
    strict_spf: bool = False
    policy: str | None = None


@dataclass
class _Checks:
    spf: AuthResult = AuthResult.NONE
    spf_domain: str = ""
    dkim: AuthResult = AuthResult.NONE
    dkim_domains: list[str] = field(default_factory=list)
    relay: str | None = None
    relay_says: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    temporary: bool = False


# --- Pure pieces ------------------------------------------------------------------------------------------


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def domain_of(address: str) -> str:
    """The domain of an address, lower case, IDNA-encoded ("" when it has none)."""
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    if not domain or "@" not in address:
        return ""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def organisational_domain(domain: str) -> str:
    """The registered domain under its public suffix (`mail.shop.co.uk` → `shop.co.uk`), or the domain itself
    when it is a public suffix or unknown."""
    return _psl().privatesuffix(domain) or domain


def aligned(domain: str, from_domain: str, *, strict: bool) -> bool:
    """DMARC identifier alignment: the same domain (strict), or the same organisational domain (relaxed)."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    if strict:
        return domain == from_domain
    return organisational_domain(domain) == organisational_domain(from_domain)


def parse_tags(record: str) -> dict[str, str]:
    """`k=v; k=v` (DMARC records, DKIM signatures) into a dict, names lower case."""
    tags: dict[str, str] = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags.setdefault(name.strip().lower(), re.sub(r"\s+", "", value))
    return tags


def dmarc_policy(record: str) -> DmarcPolicy:
    tags = parse_tags(record)
    return DmarcPolicy(
        found=True,
        strict_dkim=tags.get("adkim", "r").lower() == "s",
        strict_spf=tags.get("aspf", "r").lower() == "s",
        policy=tags.get("p", "").lower() or None,
    )


def parse_authentication_results(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """An `Authentication-Results` header (RFC 8601) as its authserv-id and (method, result, properties)."""
    text = _COMMENT.sub(" ", value)
    parts = [p.strip() for p in text.split(";")]
    serv = parts[0].split()[0].lower() if parts and parts[0].split() else ""
    results: list[tuple[str, str, dict[str, str]]] = []
    for part in parts[1:]:
        tokens = part.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].partition("=")
        properties: dict[str, str] = {}
        for token in tokens[1:]:
            name, sep, prop = token.partition("=")
            if sep and "." in name:
                properties[name.lower()] = prop.strip('"').lower()
        results.append((method.split("/")[0].lower(), result.strip('"').lower(), properties))
    return serv, results


def relay_for(client_ip: str, relays: Sequence[TrustedRelay]) -> TrustedRelay | None:
    """The trusted relay the connecting address belongs to, if any."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return None
    return next((r for r in relays if any(address in network for network in r.networks)), None)


# --- Checks that ask DNS ----------------------------------------------------------------------------------


def _dmarc_record(resolver: Resolver, domain: str) -> str | None:
    records = [
        r for r in resolver.lookup(f"_dmarc.{domain}", RecordType.TXT) if r.lower().startswith("v=dmarc1")
    ]
    return records[0] if len(records) == 1 else None


def lookup_dmarc(resolver: Resolver, from_domain: str) -> DmarcPolicy:
    """The From domain's DMARC record, else its organisational domain's (RFC 7489 §6.6.3)."""
    record = _dmarc_record(resolver, from_domain)
    organisation = organisational_domain(from_domain)
    if record is None and organisation != from_domain:
        record = _dmarc_record(resolver, organisation)
    return dmarc_policy(record) if record is not None else DmarcPolicy()


def _dkim_dns(resolver: Resolver, checks: _Checks) -> Callable[..., bytes | None]:
    def get_txt(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        try:
            records = resolver.lookup(text, RecordType.TXT)
        except DnsUnavailable as exc:
            checks.temporary = True
            raise dkim.DnsTimeoutError(str(exc)) from exc
        return records[0].encode() if records else None

    return get_txt


def check_dkim(raw: bytes, resolver: Resolver, checks: _Checks) -> None:
    """Verify every DKIM signature; keep the `d=` of those that verify, cover `From` and sign the whole body."""
    try:
        verifier = dkim.DKIM(raw, minkey=1024)
    except Exception:  # an unparseable message: no signature can verify
        checks.dkim = AuthResult.PERMERROR
        return
    signatures = [value for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    if not signatures:
        return
    dnsfunc = _dkim_dns(resolver, checks)
    for index, value in enumerate(signatures):
        tags = parse_tags(value.decode("ascii", "replace"))
        signed = {h.strip().lower() for h in tags.get("h", "").split(":")}
        if "from" not in signed or "l" in tags:
            continue  # a signature that leaves From or part of the body open proves nothing about them
        try:
            valid = verifier.verify(idx=index, dnsfunc=dnsfunc)
        except Exception as exc:  # dkimpy raises on malformed signatures and keys
            log.debug("DKIM signature %d does not verify: %s", index, exc)
            valid = False
        if valid:
            checks.dkim_domains.append(tags.get("d", "").lower().rstrip("."))
    if checks.dkim_domains:
        checks.dkim = AuthResult.PASS
    else:
        checks.dkim = AuthResult.TEMPERROR if checks.temporary else AuthResult.FAIL


class _SpfQuery(spf.query):  # type: ignore[misc]
    """pyspf's evaluation, its DNS questions asked through our resolver."""

    def __init__(self, resolver: Resolver, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._resolver = resolver

    def dns(self, name: str, qtype: str, cnames: Any = None, ignore_void: bool = False) -> list[Any]:
        name = str(name).rstrip(".").lower()
        if not name or not all(0 < len(label) < 64 for label in name.split(".")):
            return []
        key = (name, qtype)
        if key in self.cache:
            return list(self.cache[key])
        try:
            rtype = RecordType(qtype)
        except ValueError:
            return []  # type 99 (SPF) records: not looked up
        try:
            records = self._resolver.lookup(name, rtype)
        except DnsUnavailable as exc:
            raise spf.TempError(f"DNS {exc}") from exc
        result: list[Any]
        if rtype is RecordType.TXT:
            result = [[r.encode()] for r in records]
        elif rtype is RecordType.MX:
            result = [(int(p), host) for p, _, host in (r.partition(" ") for r in records)]
        else:
            result = list(records)
        self.cache[key] = result
        if not result and not ignore_void:
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return result


def check_spf(envelope: Envelope, resolver: Resolver, checks: _Checks) -> None:
    """SPF of the envelope sender's domain (the HELO name's for a bounce) for the connecting address."""
    sender = envelope.mail_from.strip().strip("<>")
    checks.spf_domain = domain_of(sender) if sender else envelope.helo.strip().lower().rstrip(".")
    if not checks.spf_domain or not envelope.client_ip:
        return
    try:
        query = _SpfQuery(resolver, i=envelope.client_ip, s=sender, h=envelope.helo or checks.spf_domain)
        result, _code, _explanation = query.check()
    except Exception as exc:  # pyspf on input it cannot evaluate
        log.debug("SPF could not be evaluated: %s", exc)
        checks.spf = AuthResult.PERMERROR
        return
    try:
        checks.spf = AuthResult(str(result).lower())
    except ValueError:
        checks.spf = AuthResult.PERMERROR


def read_relay_verdict(message: Any, relay: TrustedRelay, checks: _Checks) -> None:
    """The topmost `Authentication-Results` header carrying the relay's authserv-id (the one it added)."""
    checks.relay = relay.authserv_id
    for value in message.get_all("authentication-results", []):
        serv, results = parse_authentication_results(str(value))
        if serv == relay.authserv_id:
            checks.relay_says = results
            return


def _relay_proves(checks: _Checks, from_domain: str, dmarc: DmarcPolicy) -> bool:
    for method, result, properties in checks.relay_says:
        if result != "pass":
            continue
        if method == "dmarc" and properties.get("header.from", "") == from_domain:
            return True
        if method == "dkim" and aligned(
            properties.get("header.d", ""), from_domain, strict=dmarc.strict_dkim
        ):
            return True
        if method == "spf" and aligned(
            domain_of(properties.get("smtp.mailfrom", "")) or properties.get("smtp.mailfrom", ""),
            from_domain,
            strict=dmarc.strict_spf,
        ):
            return True
    return False


def _relay_result(checks: _Checks, method: str) -> AuthResult:
    found = next((result for m, result, _p in checks.relay_says if m == method), "none")
    try:
        return AuthResult(found)
    except ValueError:
        return AuthResult.PERMERROR


def authenticate(
    raw: bytes, *, envelope: Envelope, resolver: Resolver, trusted_relays: Sequence[TrustedRelay] = ()
) -> tuple[str, SenderAuthentication]:
    """Check who sent `raw` (the bytes as received); returns its `From` address and the verdict."""
    message = message_from_bytes(raw, policy=policy.compat32)
    headers = message.get_all("from", [])
    addresses = [a for _name, a in getaddresses([str(h) for h in headers]) if a]
    if len(headers) != 1 or len(addresses) != 1:
        return "", SenderAuthentication(reason="the message needs exactly one From address")
    from_address = addresses[0].strip().lower()
    from_domain = domain_of(from_address)
    if not from_domain:
        return from_address, SenderAuthentication(reason="the From address has no domain")
    checks = _Checks()
    try:
        dmarc = lookup_dmarc(resolver, from_domain)
    except DnsUnavailable:
        dmarc, checks.temporary = DmarcPolicy(), True
    check_dkim(raw, resolver, checks)
    relay = relay_for(envelope.client_ip, trusted_relays)
    if relay is not None:
        read_relay_verdict(message, relay, checks)  # SPF of the relay's own address would say nothing
    else:
        check_spf(envelope, resolver, checks)
    dkim_aligned = [d for d in checks.dkim_domains if aligned(d, from_domain, strict=dmarc.strict_dkim)]
    spf_aligned = checks.spf is AuthResult.PASS and aligned(
        checks.spf_domain, from_domain, strict=dmarc.strict_spf
    )
    method: AuthMethod | None = None
    if dkim_aligned:
        method = AuthMethod.DKIM
    elif spf_aligned:
        method = AuthMethod.SPF
    elif relay is not None and _relay_proves(checks, from_domain, dmarc):
        method = AuthMethod.RELAY
    if method is not None:
        outcome, reason = AuthResult.PASS, ""
    elif checks.temporary:
        outcome, reason = AuthResult.TEMPERROR, "DNS did not answer"
    else:
        outcome = AuthResult.FAIL if dmarc.found else AuthResult.NONE
        reason = f"neither DKIM nor SPF passed for {from_domain}"
    return from_address, SenderAuthentication(
        verified=method is not None,
        method=method,
        from_domain=from_domain,
        spf=_relay_result(checks, "spf") if relay is not None else checks.spf,
        spf_domain=checks.spf_domain,
        dkim=checks.dkim,
        dkim_domains=checks.dkim_domains,
        dmarc=outcome,
        dmarc_policy=dmarc.policy,
        relay=checks.relay if method is AuthMethod.RELAY else None,
        reason=reason,
    )
