"""List hygiene and sender checks: MX verification (cached per domain), role and free-mail flags,
and `coldmail doctor` for SPF/DKIM/DMARC. (The guards that pause a campaign live in
`outreach.guards`.)"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import dns.asyncresolver
import dns.exception
import dns.resolver
from sqlalchemy import select

from coldmail import audit
from coldmail.addresses import domain_of
from coldmail.store import db
from coldmail.store.models import Contact, DomainCheck, ListMember, ProspectList, as_utc, utcnow
from coldmail.store.workspace import Workspace

ROLE_LOCALS = frozenset(
    "info contact contacts sales admin administrator office hello hi team support help billing accounts "
    "accounting finance hr jobs careers recruitment marketing press media news noreply no-reply postmaster "
    "webmaster hostmaster abuse enquiries inquiries service services mail kontakt vertrieb bureau".split()
)
FREE_MAIL = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com hotmail.com hotmail.co.uk hotmail.fr "
    "outlook.com live.com msn.com aol.com icloud.com me.com mac.com gmx.de gmx.net gmx.com web.de t-online.de "
    "mail.ru yandex.ru yandex.com protonmail.com proton.me zoho.com mail.com qq.com 163.com 126.com "
    "orange.fr free.fr laposte.net libero.it seznam.cz wp.pl o2.pl interia.pl".split()
)


def flags(email: str) -> list[str]:
    """'role' for generic addresses (CNIL treats them differently), 'free-mail' for personal-looking ones."""
    local, domain = email.rsplit("@", 1)
    out = []
    if local.split("+", 1)[0] in ROLE_LOCALS:
        out.append("role")
    if domain in FREE_MAIL:
        out.append("free-mail")
    return out


def resolver(ws: Workspace) -> dns.asyncresolver.Resolver:
    cfg = ws.config.dns
    if cfg.nameservers:
        r = dns.asyncresolver.Resolver(configure=False)
        r.nameservers = list(cfg.nameservers)
        r.port = cfg.port
    else:
        r = dns.asyncresolver.Resolver()
    r.timeout = r.lifetime = cfg.timeout_seconds
    return r


async def check_domain(res: dns.asyncresolver.Resolver, domain: str) -> tuple[str, str]:
    """(status, detail): ok, undeliverable (NXDOMAIN, null MX, no MX and no address) or unknown."""
    try:
        answer = await res.resolve(domain, "MX")
        records = sorted((r.preference, r.exchange.to_text()) for r in answer)
        if len(records) == 1 and records[0][1] in (".", ""):
            return "undeliverable", "null MX (RFC 7505): the domain accepts no mail"
        return "ok", "MX " + ", ".join(host for _, host in records[:3])
    except dns.resolver.NXDOMAIN:
        return "undeliverable", "the domain does not exist (NXDOMAIN)"
    except dns.resolver.NoAnswer:
        pass  # no MX: RFC 5321 falls back to the address records
    except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.LifetimeTimeout) as exc:
        return "unknown", f"no answer ({type(exc).__name__}); try again later"
    for rtype in ("A", "AAAA"):
        try:
            await res.resolve(domain, rtype)
            return "ok", f"no MX; delivers to its {rtype} record"
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            continue
        except (dns.resolver.NoNameservers, dns.exception.Timeout) as exc:
            return "unknown", f"no answer ({type(exc).__name__})"
    return "undeliverable", "no MX and no address record"


@dataclass
class VerifyResult:
    contacts: int = 0
    domains: int = 0
    looked_up: int = 0
    by_status: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)
    undeliverable: list[str] = field(default_factory=list)
    flagged_addresses: dict[str, list[str]] = field(default_factory=dict)  # flag -> the addresses it names

    def to_json(self) -> dict:
        return {"contacts": self.contacts, "domains": self.domains, "looked_up": self.looked_up,
                "by_status": dict(self.by_status), "flags": dict(self.flagged), "undeliverable": self.undeliverable,
                "flagged": {flag: list(addrs) for flag, addrs in sorted(self.flagged_addresses.items())}}


async def verify(ws: Workspace, *, list_name: str | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    """Check every contact's domain, each domain once (and not again while its cache entry is fresh)."""
    result = VerifyResult()
    now = utcnow()
    with db.session_scope(ws.engine, write=False) as session:
        stmt = select(Contact.email)
        if list_name:
            stmt = (stmt.join(ListMember, ListMember.contact_id == Contact.id)
                    .join(ProspectList, ProspectList.id == ListMember.list_id).where(ProspectList.name == list_name))
        emails = list(session.execute(stmt).scalars())
        cached = {d: s for d, s, exp in session.execute(
            select(DomainCheck.domain, DomainCheck.status, DomainCheck.expires_at)).all() if as_utc(exp) > now}
    by_domain: dict[str, list[str]] = {}
    for e in emails:
        by_domain.setdefault(domain_of(e), []).append(e)
        for f in flags(e):
            result.flagged[f] += 1
            result.flagged_addresses.setdefault(f, []).append(e)
    result.contacts, result.domains = len(emails), len(by_domain)
    todo = [d for d in by_domain if d not in cached]
    res = resolver(ws)
    gate = asyncio.Semaphore(ws.config.dns.concurrency)
    found: dict[str, tuple[str, str]] = {}
    done = 0

    async def one(domain: str) -> None:
        nonlocal done
        async with gate:
            found[domain] = await check_domain(res, domain)
        done += 1
        if on_progress:
            on_progress(done, len(todo))

    await asyncio.gather(*(one(d) for d in todo))
    result.looked_up = len(todo)
    ttl = timedelta(days=ws.config.dns.cache_days)
    with db.session_scope(ws.engine) as session:
        for domain, (status, detail) in found.items():
            # "unknown" is not cached for long: it is a failure to learn, not an answer.
            expires = now + (ttl if status != "unknown" else timedelta(hours=1))
            row = session.get(DomainCheck, domain)
            if row is None:
                session.add(DomainCheck(domain=domain, status=status, detail=detail[:500], checked_at=now,
                                        expires_at=expires))
            else:
                row.status, row.detail, row.checked_at, row.expires_at = status, detail[:500], now, expires
        audit.record(session, actor=ws.actor, action="verify", subject="list:*",
                     detail={"domains": len(by_domain), "looked_up": len(todo), "list": list_name or "*"})
    statuses = {**cached, **{d: s for d, (s, _) in found.items()}}
    for domain, addrs in by_domain.items():
        result.by_status[statuses.get(domain, "unknown")] += len(addrs)
        if statuses.get(domain) == "undeliverable":
            result.undeliverable.extend(addrs)
    return result


# ---------------------------------------------------------------------------- doctor


@dataclass
class Finding:
    check: str
    ok: bool
    detail: str
    fix: str = ""


async def _txt(res, name: str) -> list[str]:
    try:
        answer = await res.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


async def _addresses(res, host: str) -> set[str]:
    out: set[str] = set()
    for rtype in ("A", "AAAA"):
        try:
            out.update(r.to_text() for r in await res.resolve(host, rtype))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers, dns.exception.Timeout):
            pass
    return out


async def doctor(ws: Workspace) -> list[Finding]:
    """Check the sender's own domain: SPF covers the SMTP host, DKIM selector published, DMARC policy, alignment."""
    from urllib.parse import urlparse

    domain = domain_of(ws.config.controller.sender_email)
    res = resolver(ws)
    out: list[Finding] = []
    smtp_host = urlparse(ws.config.smtp.url).hostname if ws.config.smtp.url else None
    spf = [t for t in await _txt(res, domain) if t.lower().startswith("v=spf1")]
    if not spf:
        out.append(Finding("SPF", False, f"no SPF record at {domain}",
                           f'publish TXT {domain} "v=spf1 include:<your provider> -all"'))
    elif len(spf) > 1:
        out.append(Finding("SPF", False, "more than one SPF record (receivers treat that as an error)", "merge them"))
    else:
        record = spf[0]
        covered = smtp_host is None
        if smtp_host:
            ips = await _addresses(res, smtp_host)
            terms = record.split()
            for term in terms:
                mech = term.lstrip("+")
                if mech.startswith(("include:", "a:", "mx:")) and smtp_host.endswith(mech.split(":", 1)[1]):
                    covered = True
                if mech.startswith(("ip4:", "ip6:")):
                    net = ipaddress.ip_network(mech.split(":", 1)[1], strict=False)
                    covered = covered or any(ipaddress.ip_address(ip) in net for ip in ips)
                if mech in ("a", "mx") and smtp_host.endswith(domain):
                    covered = True
        out.append(Finding("SPF", covered, record if covered else f"{record} does not cover {smtp_host}",
                           "" if covered else f"add include:/ip4: for {smtp_host} to the SPF record"))
    selector = ws.config.dkim.selector
    if not selector:
        out.append(Finding("DKIM", False, "no DKIM selector configured",
                           "set [dkim] selector and key_path in coldmail.toml and publish the public key"))
    else:
        name = f"{selector}._domainkey.{ws.config.dkim.domain or domain}"
        keys = [t for t in await _txt(res, name) if "p=" in t]
        out.append(Finding("DKIM", bool(keys), f"{name}: {'published' if keys else 'no key record'}",
                           "" if keys else f'publish TXT {name} "v=DKIM1; k=rsa; p=<public key>"'))
    dmarc = [t for t in await _txt(res, f"_dmarc.{domain}") if t.lower().startswith("v=dmarc1")]
    if not dmarc:
        out.append(Finding("DMARC", False, f"no DMARC record at _dmarc.{domain}",
                           f'publish TXT _dmarc.{domain} "v=DMARC1; p=none; rua=mailto:dmarc@{domain}", then tighten'))
    else:
        tags = dict(p.strip().split("=", 1) for p in dmarc[0].split(";") if "=" in p)
        policy = tags.get("p", "none").strip()
        out.append(Finding("DMARC", True, f"policy p={policy}" + ("" if policy != "none" else
                                                                  " (monitoring only; consider quarantine)")))
        strict = tags.get("adkim", "r").strip() == "s" or tags.get("aspf", "r").strip() == "s"
        dkim_domain = ws.config.dkim.domain or domain
        aligned = dkim_domain == domain or (not strict and dkim_domain.endswith("." + domain))
        out.append(Finding("Alignment", aligned, f"From {domain}, DKIM d={dkim_domain}"
                           + (" (strict)" if strict else " (relaxed)"),
                           "" if aligned else "sign with the From domain (or a subdomain, with relaxed alignment)"))
    return out
