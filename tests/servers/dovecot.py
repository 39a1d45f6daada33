"""A real Dovecot IMAP server on 127.0.0.1 for tests, in its own folder, with one mailbox user."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

from bench._server_process import ServerProcess

USER = "orders@northwind.test"
PASSWORD = "s3cret"
CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
ssl = yes
ssl_cert = <{home}/cert.pem
ssl_key = <{home}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{home}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={home}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Dovecot(ServerProcess):
    def __init__(self) -> None:
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("dovecot is not installed: `make test` installs dovecot-imapd (needs root)")
        self.binary = binary
        # Dovecot's unprivileged processes must reach these files, so not under pytest's 0700 tmp.
        home = Path(tempfile.mkdtemp(prefix="gateway-dovecot-"))
        home.chmod(0o755)
        self.home = home
        self.port = free_port()
        self.tls_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        for name in ("run", "state", "mail", "home"):
            (home / name).mkdir(parents=True, exist_ok=True)
        shutil.chown(home / "mail", "nobody", "nogroup")
        shutil.chown(home / "home", "nobody", "nogroup")
        (home / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        self.certificate = home / "cert.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(home / "key.pem"),
             "-out", str(self.certificate)],
            check=True, capture_output=True,
        )  # fmt: skip
        (home / "dovecot.conf").write_text(CONFIG.format(home=home, port=self.port, tls_port=self.tls_port))

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.home / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600  # only ends a hung start; a server that exits fails at once
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        log = (self.home / "dovecot.log").read_text() if (self.home / "dovecot.log").exists() else ""
        raise RuntimeError(f"dovecot did not start on port {self.port}: {log[-2000:]}")

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def count(self, folder: str) -> int:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return 0
            client.select_folder(folder, readonly=True)
            return len(client.search(["ALL"]))
        finally:
            client.logout()
