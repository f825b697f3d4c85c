"""Shared fixtures: a fresh workspace per test, the CLI, and a real PostgreSQL 15 on 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coldmail.store.workspace import open_workspace

IDENTITY = dict(
    company="Acme Tools Ltd",
    sender_name="Sam Carter",
    sender_email="sam@acme-tools.example",
    postal_address="1 Main St, Bristol BS1 4DJ, United Kingdom",
    privacy_url="https://acme-tools.example/privacy",
    dpo_email="privacy@acme-tools.example",
    country="GB",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ws(home: Path, database_url: str | None = None):
    from coldmail.privacy.controller import init_workspace

    ws = open_workspace(home, database_url)
    init_workspace(ws, **IDENTITY)
    return ws


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "ws"
    monkeypatch.setenv("COLDMAIL_HOME", str(h))
    monkeypatch.delenv("COLDMAIL_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLDMAIL_USER", "tester")
    return h


@pytest.fixture
def ws(home):
    w = make_ws(home)
    yield w
    w.close()


# ---------------------------------------------------------------- PostgreSQL


class PostgresServer:
    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="coldmail-pg-"))
        os.chmod(self.base, 0o755)
        self.data = self.base / "data"
        self.port = free_port()
        self.as_pg: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.base, "postgres", "postgres")
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self._ids = itertools.count(1)

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_pg, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "coldmail", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "60", "-o", opts, "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, db: str = "postgres") -> str:
        return f"postgresql+psycopg://coldmail@127.0.0.1:{self.port}/{db}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._ids)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=coldmail dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL (initdb, pg_ctl) is not on PATH; CI must test against it")
        pytest.skip("PostgreSQL is not installed here: apt-get install postgresql, then put /usr/lib/postgresql/*/bin on PATH")
    server = PostgresServer()
    try:
        server.start()
    except BaseException:
        log = server.base / "log"
        detail = log.read_text() if log.exists() else ""
        server.stop()
        pytest.fail(f"could not start PostgreSQL: {detail[-2000:]}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def any_ws(request, home):
    """The core behaviour, once on SQLite and once on a real PostgreSQL."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres").new_database()
    w = make_ws(home, url)
    yield w
    w.close()


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli(home):
    """Run the real `coldmail` in a subprocess, the way scripts call it."""

    def run(*args: str, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "coldmail", *args],
            capture_output=True,
            text=True,
            input=input,
            env=full_env,
            timeout=120,
        )

    return run


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
