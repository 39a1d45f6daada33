"""`gateway run` as a real process tree: it serves, polls and works, and SIGTERM loses nothing."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.servers.as2_partner import As2Partner
from tests.servers.as2_partner import make_key_pair

GATEWAY = Path(sys.executable).parent / "gateway"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 600.0) -> None:
    """Wait for a condition; the ceiling only ends a hung run, it is no speed requirement."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Gateway:
    home: Path
    inbox: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self, *, wait: bool = True) -> Gateway:
        log = (self.home / "run.log").open("ab")
        self.process = subprocess.Popen([str(GATEWAY), "run"], env=self.env, stdout=log, stderr=log)
        if wait:
            wait_for(self.web_is_up, "the web server")
        return self

    def web_is_up(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"gateway run exited with {self.process.returncode}:\n{self.log()}")
        try:
            return httpx.post(f"http://127.0.0.1:{self.port}/api/shipments", json={}).status_code == 503
        except httpx.TransportError:
            return False

    def terminate(self, timeout: float = 900.0) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        return (self.home / "run.log").read_text(errors="replace")

    def stored_filenames(self) -> list[str]:
        db = self.home / "gateway.db"
        if not db.exists():
            return []
        with sqlite3.connect(db) as connection:
            try:
                return [name for (name,) in connection.execute("select filename from document")]
            except sqlite3.OperationalError:  # not migrated yet
                return []

    def waiting(self) -> list[str]:
        """Files not stored yet: in the inbox, or claimed by the watcher but not yet stored."""
        claimed = self.inbox / ".gateway-claimed"
        folders = [self.inbox, claimed] if claimed.exists() else [self.inbox]
        return sorted(p.name for folder in folders for p in folder.iterdir() if p.is_file())

    def outbound_statuses(self, kind: str) -> list[str]:
        with sqlite3.connect(self.home / "gateway.db") as connection:
            query = "select status from outbound_document where kind = ?"
            return [status for (status,) in connection.execute(query, (kind,))]

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(GATEWAY), *args], env=self.env, capture_output=True, text=True, check=True)
        return done.stdout


@pytest.fixture
def gateway(tmp_path: Path, x12_maps: Callable[[Path], None]) -> Iterator[Gateway]:
    home, profiles, inbox = tmp_path / "home", tmp_path / "profiles", tmp_path / "drop" / "acme"
    home.mkdir()
    x12_maps(home)  # its pollers and worker read the maps kept, not parse the XML at each start
    inbox.mkdir(parents=True)
    shutil.copytree(ROOT / "partners" / "profiles", profiles)
    with (profiles / "acme.toml").open("a") as acme:
        acme.write(f'\n[drop]\npath = "{inbox}"\nstable_seconds = 0\npoll_seconds = 0.2\n')
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_HOME": str(home),
        "GATEWAY_PARTNERS_DIR": str(profiles),
        "GATEWAY_PORT": str(port),
        "GATEWAY_WORKER_SECONDS": "0.2",
        "GATEWAY_SHUTDOWN_SECONDS": "600",  # a grace, never a deadline: the tests assert no child is killed
    }
    for name in ("GATEWAY_DATABASE_URL", "GATEWAY_IMAP_HOST", "GATEWAY_ERP_URL", "GATEWAY_API_TOKEN"):
        env.pop(name, None)
    running = Gateway(home, inbox, port, env)
    yield running
    if running.process is not None and running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_run_serves_polls_and_stops_cleanly_on_sigterm(gateway: Gateway) -> None:
    gateway.start()
    shutil.copyfile(INBOX / "acme-4500012345.edi", gateway.inbox / "acme-4500012345.edi")
    wait_for(lambda: gateway.stored_filenames() == ["acme-4500012345.edi"], "the dropped 850 to be stored")
    wait_for(lambda: gateway.waiting() == [], "the inbox to be emptied")
    assert gateway.terminate() == 0
    log = gateway.log()
    assert "gateway stopped" in log and "killing" not in log
    status = gateway.cli("status")
    assert re.search(r"acme\s+drop\s+ok ", status), status
    # the status row keeps the last poll, which the watcher may have run again since: the log has each
    assert re.search(r"acme drop.*: 1 files taken, 1 new documents", log), log


def test_a_bad_profile_is_refused_loudly_and_the_others_keep_trading(gateway: Gateway) -> None:
    bad = gateway.env["GATEWAY_PARTNERS_DIR"] + "/strangerco.toml"
    Path(bad).write_text(
        'name = "strangerco"\nacks = ["998"]\nisa = { qualifier = "ZZ", id = "STRANGERCO" }\n'
    )
    gateway.start()
    shutil.copyfile(INBOX / "acme-4500012345.edi", gateway.inbox / "acme-4500012345.edi")
    wait_for(lambda: gateway.stored_filenames() == ["acme-4500012345.edi"], "acme's 850 to be stored")
    assert gateway.terminate() == 0
    assert "strangerco.toml" in gateway.log() and "refused" in gateway.log()
    assert "strangerco.toml" in gateway.cli("status")


def test_sigterm_mid_intake_loses_and_duplicates_nothing(gateway: Gateway) -> None:
    names = [f"order-{n:04d}.txt" for n in range(300)]  # enough that SIGTERM lands mid-intake
    for n, name in enumerate(names):
        (gateway.inbox / name).write_text(f"PO: 9{n:05d}\n{n + 1} x SKU-{n:05d}\n")
    gateway.start(wait=False)
    wait_for(lambda: len(gateway.stored_filenames()) >= 20, "the first documents to be stored")
    assert gateway.terminate() == 0
    stored, waiting = gateway.stored_filenames(), gateway.waiting()
    assert len(stored) == len(set(stored)), "a file was stored twice"
    assert sorted(stored + waiting) == names, "a file was lost, or is both stored and still waiting"
    assert len(stored) < len(names), "SIGTERM came too late to test anything"
    gateway.start()
    wait_for(lambda: len(gateway.stored_filenames()) == len(names), "the rest after a restart")
    wait_for(lambda: gateway.waiting() == [], "the inbox to be emptied")
    assert gateway.terminate() == 0
    assert sorted(gateway.stored_filenames()) == names


def test_a_child_that_dies_is_restarted(gateway: Gateway) -> None:
    gateway.start()
    wait_for(lambda: "pollers (pid" in gateway.log(), "the supervisor to name its children")
    pid = int(re.search(r"pollers \(pid (\d+)\)", gateway.log()).group(1))  # type: ignore[union-attr]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: "pollers exited with -9; restarting" in gateway.log(), "the supervisor to notice")
    shutil.copyfile(INBOX / "acme-4500012345.edi", gateway.inbox / "po.edi")
    wait_for(lambda: gateway.stored_filenames() == ["po.edi"], "the restarted poller to take the file")
    assert gateway.terminate() == 0


def test_an_850_by_as2_is_stored_answered_and_its_acks_go_back_by_as2(gateway: Gateway) -> None:
    keys = {"gateway": make_key_pair("northwind-as2"), "partner": make_key_pair("acme-as2")}
    partner = As2Partner("ACMEAS2", keys["partner"], "NORTHWINDAS2", keys["gateway"].cert_pem)
    with partner.running():
        profiles = Path(gateway.env["GATEWAY_PARTNERS_DIR"])
        keys["partner"].write(profiles / "certs", "acme")
        with (profiles / "acme.toml").open("a") as acme:
            acme.write(
                f'\n[as2]\nas2_id = "ACMEAS2"\nurl = "{partner.url}/as2"\ncertificate = "certs/acme.pem"\n'
                '\n[delivery]\nvia = "as2"\nmax_attempts = 3\nbackoff_seconds = 1\n'
            )
        key_file, cert_file = keys["gateway"].write(gateway.home / "as2", "northwind")
        gateway.env |= {
            "GATEWAY_AS2_ID": "NORTHWINDAS2",
            "GATEWAY_AS2_KEY_FILE": str(key_file),
            "GATEWAY_AS2_CERT_FILE": str(cert_file),
        }
        gateway.start()
        partner.gateway_url = f"http://127.0.0.1:{gateway.port}"
        response, status, detail, _ = partner.send((INBOX / "acme-4500012345.edi").read_bytes())
        assert (response.status_code, status, detail) == (200, "processed", None), gateway.log()
        assert gateway.stored_filenames() == ["po.edi"]
        wait_for(lambda: len(partner.received) >= 1, "the worker to send the 997 by AS2")
        assert partner.received[0].status == "processed" and b"ST*997*" in partner.received[0].message.content
        wait_for(lambda: "sent" in gateway.outbound_statuses("997"), "the 997's MDN to be verified")
    assert gateway.terminate() == 0
    status_text = gateway.cli("status")
    assert re.search(r"acme\s+as2-in\s+ok ", status_text) and re.search(r"acme\s+as2-out\s+ok ", status_text)
