"""`coldmail run` as a person runs it: a real subprocess against a local SMTP server, caps of 20 a
minute, a steady stream, a clean stop on --for and on SIGTERM, nothing left `sending`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from coldmail.outreach import campaigns
from coldmail.store.config import Sending, save_config
from conftest import free_port
from smtp_server import SmtpServer
from test_sending import seed, states


def _paced(ws) -> None:
    ws.config.sending = Sending.unpaced()
    ws.config.sending.per_minute, ws.config.sending.jitter_seconds = 20, 1
    save_config(ws.home, ws.config)


def _run(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "coldmail", "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ))


def test_run_for_sends_a_steady_stream_and_stops(ws, tmp_path):
    _paced(ws)
    seed(ws, tmp_path, 40)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port()) as server:
        proc = _run("--smtp", server.url, "--for", "8", "--json")
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        data = json.loads(out)
        assert set(data) == {"sent", "failed", "unknown", "replies", "queued", "next_due"}
        times = sorted(r.at for r in server.recorder.received)
    # Spaced about a second apart (jitter 1 s), so 4 to 12 in 8 s; never a burst.
    assert 4 <= data["sent"] == len(times) <= 12, (data, err)
    assert all(b - a >= 0.4 for a, b in zip(times, times[1:], strict=False))
    assert data["queued"] == 40 - data["sent"] and data["next_due"]
    assert "sent" in err and "run: stopped" in err
    assert "sending" not in states(ws)


def test_sigterm_mid_run_leaves_nothing_sending(ws, tmp_path):
    _paced(ws)
    seed(ws, tmp_path, 40)
    campaigns.create(ws, name="c1", list_name="l", template="first_touch")
    with SmtpServer(free_port()) as server:
        proc = _run("--smtp", server.url, "--json")
        deadline = time.monotonic() + 30
        while len(server.recorder.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        out, err = proc.communicate(timeout=30)
        assert time.monotonic() - stopped_at < 10
        assert proc.returncode == 0, err
        received = len(server.recorder.received)
    counts = states(ws)
    assert "sending" not in counts and counts.get("sent", 0) == received == json.loads(out)["sent"]
    assert counts.get("sent", 0) + counts.get("queued", 0) == 40
