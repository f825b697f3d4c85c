"""Sending throughput: coldmail (render + checks + state writes) against a bare aiosmtplib loop with
the same number of connections, and a sequential smtplib loop with one connection per message (the
way mailmerge sends). All three send to Postfix's smtp-sink on 127.0.0.1; caps are off here only.

    python benchmarks/bench_send.py [--messages 10000] [--connections 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import record, tempdir, workspace, write_prospects  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int) -> subprocess.Popen:
    sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not Path(sink).exists():
        sys.exit("smtp-sink not found: apt-get install postfix")
    cmd = [sink] + (["-u", "nobody"] if os.geteuid() == 0 else []) + [f"127.0.0.1:{port}", "256"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("smtp-sink did not start")


async def bare_aiosmtplib(port: int, messages: list[bytes], connections: int) -> float:
    import aiosmtplib

    queue = list(messages)

    async def worker():
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await smtp.connect()
        while queue:
            raw = queue.pop()
            await smtp.sendmail("sam@acme-tools.example", ["x@bench.example"], raw)
        await smtp.quit()

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - t


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stop_sink(sink: subprocess.Popen) -> float:
    """Stop smtp-sink; the CPU seconds it used."""
    sink.kill()
    _pid, _status, usage = os.wait4(sink.pid, 0)
    return usage.ru_utime + usage.ru_stime


def measured(fn, *args) -> tuple[float, float, float]:
    """Run fn(port, *args) against a new smtp-sink: (its result, this process's CPU seconds, the sink's)."""
    port = free_port()
    sink = start_sink(port)
    try:
        cpu = cpu_seconds()
        out = fn(port, *args)
        cpu = cpu_seconds() - cpu
    finally:
        sink_cpu = stop_sink(sink)
    return out, cpu, sink_cpu


def sequential_smtplib(port: int, messages: list[bytes]) -> float:
    t = time.perf_counter()
    for raw in messages:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.sendmail("sam@acme-tools.example", ["x@bench.example"], raw)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--sequential", type=int, default=1000, help="messages for the smtplib loop (scaled up)")
    args = ap.parse_args()
    from coldmail.outreach import campaigns
    from coldmail.outreach.sending import send_campaign
    from coldmail.prospects.importing import import_csv
    from coldmail.store.config import Sending, save_config

    with tempdir() as tmp:
        ws = workspace(tmp / "ws")
        ws.config.sending = Sending.unpaced()
        save_config(ws.home, ws.config)
        import_csv(ws, path=write_prospects(tmp / "p.csv", args.messages), list_name="bench")
        campaigns.create(ws, name="bench", list_name="bench", template="first_touch")

        def ours_run(port: int):
            t = time.perf_counter()
            summary = asyncio.run(send_campaign(ws, name="bench", smtp_url=f"smtp://127.0.0.1:{port}",
                                                caps=False, connections=args.connections))
            assert summary.sent == args.messages, summary.to_json()
            return time.perf_counter() - t

        ours, ours_cpu, ours_sink = measured(ours_run)
        from coldmail.contacts.paging import page
        from coldmail.mail.rendering import compose_for

        raw = compose_for(ws, template="first_touch", email=page(ws, limit=1)[0].email).raw
        bare, bare_cpu, bare_sink = measured(
            lambda port: asyncio.run(bare_aiosmtplib(port, [raw] * args.messages, args.connections)))
        seq_n = min(args.sequential, args.messages)
        seq, seq_cpu, seq_sink = measured(sequential_smtplib, [raw] * seq_n)
        ws.close()
    n = args.messages

    def ms(cpu: float, count: int) -> str:
        return f"{cpu / count * 1000:.2f} ms"

    record("Sending (issue 6)", [
        f"{n:,} messages to Postfix smtp-sink on 127.0.0.1, {args.connections} connections; caps off. CPU is per "
        "message: the sending process's, and smtp-sink's (a new sink for each run).",
        "",
        "| run | time | messages/s | coldmail's throughput relative to it | sender CPU | smtp-sink CPU |",
        "|---|---|---|---|---|---|",
        f"| coldmail send (render + claim/checks + state writes) | {ours:.1f} s | {n / ours:,.0f} | 1.0x | "
        f"{ms(ours_cpu, n)} | {ms(ours_sink, n)} |",
        f"| bare aiosmtplib, same connections, pre-rendered bytes | {bare:.1f} s | {n / bare:,.0f} | "
        f"{bare / ours:.2f}x (goal >= 0.8x) | {ms(bare_cpu, n)} | {ms(bare_sink, n)} |",
        f"| sequential smtplib, one connection per message (measured on {seq_n:,}, scaled) | "
        f"{seq * n / seq_n:.1f} s | {seq_n / seq:,.0f} | {seq * n / seq_n / ours:.2f}x (goal >= 4x) | "
        f"{ms(seq_cpu, seq_n)} | {ms(seq_sink, seq_n)} |",
        "",
        f"The bare aiosmtplib loop itself is {(seq / seq_n) / (bare / n):.1f}x the sequential loop.",
    ])

if __name__ == "__main__":
    main()
