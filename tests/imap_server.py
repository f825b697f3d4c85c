"""A real dovecot IMAP server on 127.0.0.1, from one config file in a temporary directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={base}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self, port: int, password: str = "secret"):
        self.port, self.password = port, password
        self.base = Path(tempfile.mkdtemp(prefix="coldmail-imap-"))
        os.chmod(self.base, 0o755)
        for d in ("run", "state", "mail"):
            (self.base / d).mkdir()
        root = os.geteuid() == 0
        uid = gid = 65534 if root else os.getuid()
        if root:
            shutil.chown(self.base / "mail", uid, gid)
        (self.base / "dovecot.conf").write_text(CONF.format(
            base=self.base, port=port, password=password, uid=uid, gid=gid if root else os.getgid(),
            internal="dovecot" if root else os.environ.get("USER", "nobody"),
            login="dovenull" if root else os.environ.get("USER", "nobody"),
        ))
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", str(self.base / "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("dovecot did not start: " + (self.base / "dovecot.log").read_text()[-1000:])

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.base, ignore_errors=True)

    def append(self, raw: bytes, user: str = "sam", mailbox: str = "INBOX") -> None:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user, self.password)
        client.append(mailbox, None, None, raw)
        client.logout()
