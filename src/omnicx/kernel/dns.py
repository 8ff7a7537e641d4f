"""DNS look-ups through one interface: mail authentication (SPF, DKIM keys, DMARC policies) and proofs of
ownership (`omnicx-verification=` TXT records) ask a `Resolver`, never the network directly.

The runtime holds the process's resolver (`DnsResolver`, dnspython, the system's name servers). Tests and the
demo hand in a `StaticResolver` holding the records they publish, so nothing they do reaches real DNS.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

import dns.exception
import dns.resolver


class RecordType(StrEnum):
    TXT = "TXT"
    A = "A"
    AAAA = "AAAA"
    MX = "MX"
    PTR = "PTR"


class DnsUnavailable(Exception):
    """DNS gave no answer we can rely on (time-out, no reachable name server): a temporary failure, unlike a
    name or record that does not exist, which is an empty answer."""


class Resolver(Protocol):
    def lookup(self, name: str, rtype: RecordType) -> list[str]:
        """The records of `rtype` at `name`; [] when the name or the record does not exist.

        TXT: each record's strings joined into one; A/AAAA: addresses; MX: "preference exchange"; PTR: names.
        Raises `DnsUnavailable` when DNS cannot answer now."""
        ...


def _name(name: str) -> str:
    return name.strip().rstrip(".").lower()


class DnsResolver:
    """The system's name servers (dnspython), each query bounded by `timeout` seconds."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self.timeout = timeout

    def lookup(self, name: str, rtype: RecordType) -> list[str]:
        try:
            answer = dns.resolver.resolve(_name(name), rtype.value, lifetime=self.timeout, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (
            dns.exception.Timeout,
            dns.resolver.NoNameservers,
            dns.resolver.NoResolverConfiguration,
        ) as exc:
            raise DnsUnavailable(f"{rtype.value} {name}: {exc}") from exc
        except dns.exception.DNSException as exc:  # a malformed name, a label too long
            raise DnsUnavailable(f"{rtype.value} {name}: {exc}") from exc
        records: list[str] = []
        for rdata in answer:
            if rtype is RecordType.TXT:
                records.append(b"".join(rdata.strings).decode("utf-8", "replace"))
            elif rtype is RecordType.MX:
                records.append(f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True)}")
            elif rtype is RecordType.PTR:
                records.append(rdata.target.to_text(omit_final_dot=True))
            else:
                records.append(rdata.address)
        return records


class StaticResolver:
    """Records held in memory: what a test or the demo publishes. Names nobody published do not exist; names
    marked `unavailable` fail as a name server that does not answer."""

    def __init__(self) -> None:
        self._records: dict[tuple[str, RecordType], list[str]] = {}
        self.unavailable: set[str] = set()
        self.asked: list[tuple[str, RecordType]] = []

    def publish(self, name: str, rtype: RecordType, values: Iterable[str]) -> None:
        """Add records of `rtype` at `name` (beside any already there)."""
        self._records.setdefault((_name(name), rtype), []).extend(values)

    def txt(self, name: str, *values: str) -> None:
        self.publish(name, RecordType.TXT, values)

    def remove(self, name: str, rtype: RecordType) -> None:
        self._records.pop((_name(name), rtype), None)

    def lookup(self, name: str, rtype: RecordType) -> list[str]:
        key = (_name(name), rtype)
        self.asked.append(key)
        if key[0] in self.unavailable:
            raise DnsUnavailable(f"{rtype.value} {name}: no answer")
        return list(self._records.get(key, []))
