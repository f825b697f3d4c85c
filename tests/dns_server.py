"""A DNS server of the tests' own on 127.0.0.1 (dnslib), with a zone that covers the cases
coldmail must handle: MX, A-only, null MX, NXDOMAIN, TXT (SPF/DKIM/DMARC), SERVFAIL and timeouts."""

from __future__ import annotations

import threading
import time
from collections import Counter

from dnslib import AAAA, MX, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):
    def __init__(self):
        self.records: dict[tuple[str, str], list] = {}
        self.servfail: set[str] = set()
        self.slow: set[str] = set()
        self.queries: Counter = Counter()
        self.lock = threading.Lock()
        self.latency = 0.0  # seconds added to every answer, to model a real resolver's round trip

    def add(self, name: str, rtype: str, rdata) -> None:
        self.records.setdefault((name.rstrip(".").lower(), rtype), []).append(rdata)

    def txt(self, name: str, text: str) -> None:
        chunks = [text[i:i + 255] for i in range(0, len(text), 255)]
        self.add(name, "TXT", TXT(chunks))

    def resolve(self, request, handler):
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            self.queries[(qname, qtype)] += 1
        reply = request.reply()
        if self.latency:
            time.sleep(self.latency)
        if qname in self.slow:
            time.sleep(1.0)  # longer than the client's timeout
            return reply
        if qname in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        answers = self.records.get((qname, qtype))
        if answers:
            for rdata in answers:
                reply.add_answer(RR(qname, getattr(QTYPE, qtype), rdata=rdata, ttl=300))
        elif not any(name == qname for name, _ in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class DnsServer:
    def __init__(self, zone: Zone, port: int):
        self.zone = zone
        self.port = port
        self.server = DNSServer(zone, port=port, address="127.0.0.1", logger=DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data"))

    def __enter__(self):
        self.server.start_thread()
        return self

    def __exit__(self, *exc):
        if any(name in self.zone.slow for name, _ in self.zone.queries):
            time.sleep(1.1)  # let the deliberately slow answers finish before the socket closes
        self.server.stop()
        self.server.server.server_close()


def standard_zone() -> Zone:
    z = Zone()
    z.add("good.example", "MX", MX("mx1.good.example", 10))
    z.add("mx1.good.example", "A", A("127.0.0.2"))
    z.add("aonly.example", "A", A("127.0.0.3"))
    z.add("v6only.example", "AAAA", AAAA("::1"))
    z.add("nullmx.example", "MX", MX(".", 0))
    z.add("nomail.example", "TXT", TXT("v=spf1 -all"))  # exists, but no MX and no address
    z.servfail.add("broken.example")
    z.slow.add("slow.example")
    # The sender's own domain.
    z.add("acme-tools.example", "MX", MX("mx.acme-tools.example", 10))
    z.add("smtp.acme-tools.example", "A", A("192.0.2.25"))
    z.txt("acme-tools.example", "v=spf1 ip4:192.0.2.0/24 include:_spf.mailhost.example -all")
    z.txt("_dmarc.acme-tools.example", "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme-tools.example")
    return z
