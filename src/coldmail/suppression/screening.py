"""The suppression oracle's in-memory fast path, for the import: which records a set of
suppression fingerprints blocks. No database here, so the import's reader process (which has none)
screens rows with the very same code; `oracle` holds the database paths and a property test pins
every path to the plain answer (`oracle.find`)."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable

from coldmail.addresses import domain_of
from coldmail.suppression.fingerprints import domain_fingerprints, fingerprint, fingerprinter


def candidate_fingerprints(key: bytes, email: str) -> list[str]:
    """The fingerprints that would suppress this (normalised) address: itself, its domain and
    parent domains."""
    return [fingerprint(key, email), *domain_fingerprints(key, domain_of(email))]


# Distinct domains remembered per import: far more than a file usually has, and a bound on memory.
_DOMAINS_REMEMBERED = 200_000


class FingerprintCache:
    """Suppression fingerprints for one import; a file's rows share few domains, so the domain
    fingerprints are computed once per domain."""

    def __init__(self, key: bytes):
        self.of_email = fingerprinter(key)
        # The fingerprints that would suppress every address at a domain.
        self.of_domain: Callable[[str], list[str]] = functools.lru_cache(maxsize=_DOMAINS_REMEMBERED)(
            functools.partial(domain_fingerprints, key))

    def of_batch(self, batch: list[tuple]) -> set[str]:
        """Every fingerprint that would suppress someone in the batch: their addresses' own and
        their domains'."""
        found = {rec[1] for rec in batch}
        for domain in {domain_of(rec[0]) for rec in batch}:
            found.update(self.of_domain(domain))
        return found


class Blocklist:
    """Which records a set of suppression fingerprints blocks: the address's own fingerprint, or
    its domain's or a parent domain's (decided once per domain, not once per row)."""

    def __init__(self, fingerprints: set[str], fps: FingerprintCache):
        self.fingerprints = fingerprints
        self.blocks_domain: Callable[[str], bool] = functools.lru_cache(maxsize=_DOMAINS_REMEMBERED)(
            lambda domain: not fingerprints.isdisjoint(fps.of_domain(domain)))

    def blocks(self, rec: tuple) -> bool:
        return bool(self.fingerprints) and (rec[1] in self.fingerprints or self.blocks_domain(domain_of(rec[0])))

    def blocks_any(self, batch: list[tuple], emails: list[str]) -> bool:
        """Whether it blocks any of the batch (whose addresses are `emails`), asked in C loops."""
        return bool(self.fingerprints) and (
            not self.fingerprints.isdisjoint(map(_FINGERPRINT, batch))
            or any(map(self.blocks_domain, set(map(domain_of, emails)))))


_FINGERPRINT = operator.itemgetter(1)
