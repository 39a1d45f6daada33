"""IMAP intake against a real Dovecot on 127.0.0.1: store first, then move; restarts survived."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.config import ImapSettings
from gateway.inbound.pipeline import Pipeline
from gateway.transports.imap import ImapPoller
from tests.conftest import ROOT
from tests.servers.dovecot import PASSWORD
from tests.servers.dovecot import USER
from tests.servers.dovecot import Dovecot

EMAILS = sorted((ROOT / "fixtures" / "emails").glob("*.eml"))


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    yield server
    server.remove()


def settings(server: Dovecot, mark: str = "move") -> ImapSettings:
    return ImapSettings(
        host="127.0.0.1", port=server.port, username=USER, password=PASSWORD, security="plain", mark=mark,  # type: ignore[arg-type]
        poll_seconds=0.01, max_backoff_seconds=0.2,
    )  # fmt: skip


def documents(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(storage.Document)) or 0)


def test_every_delivered_message_becomes_a_stored_document(
    dovecot: Dovecot, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    for path in EMAILS:
        dovecot.deliver(path.read_bytes())
    report = ImapPoller(settings(dovecot), pipeline).poll_once()
    assert report.new_documents == len(EMAILS)
    assert documents(sessions) == len(EMAILS)
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == len(EMAILS)
    with sessions() as session:
        stored = session.scalars(select(storage.Document).order_by(storage.Document.id)).all()
        assert {d.channel for d in stored} == {"imap"} and {d.format for d in stored} == {"email"}
        raw = storage.document_bytes(session, stored[0].id)
    assert raw.replace(b"\r\n", b"\n") == EMAILS[0].read_bytes().replace(b"\r\n", b"\n")
    assert ImapPoller(settings(dovecot), pipeline).poll_once().taken == []


def test_a_message_fetched_twice_is_one_document(
    dovecot: Dovecot, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    """A crash after the store and before the move: the next poll finds the same bytes."""
    dovecot.deliver(EMAILS[0].read_bytes())
    seen_mode = ImapPoller(settings(dovecot, mark="seen"), pipeline)
    first = seen_mode.poll_once()
    client = dovecot.client()
    client.select_folder("INBOX")
    client.remove_flags(client.search(["ALL"]), [b"\\Seen"])  # as if the mark never happened
    client.logout()
    second = seen_mode.poll_once()
    assert [o.duplicate for o in first.taken + second.taken] == [False, True]
    assert documents(sessions) == 1
    assert ImapPoller(settings(dovecot, mark="seen"), pipeline).poll_once().taken == []


def test_poller_survives_a_server_restart(
    dovecot: Dovecot, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    dovecot.deliver(EMAILS[1].read_bytes())
    dovecot.stop()
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 2:
            dovecot.start()  # the server comes back while the poller backs off

    ImapPoller(settings(dovecot), pipeline, sleep=sleep).run(cycles=1)
    assert delays[:2] == [0.2, 0.2] and documents(sessions) == 1


def test_dropped_connection_mid_poll_loses_nothing(
    dovecot: Dovecot, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    for path in EMAILS[:3]:
        dovecot.deliver(path.read_bytes())
    original = pipeline.ingest_stream
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        outcome = original(*args, **kwargs)
        if calls["n"] == 2:
            dovecot.stop()  # the connection drops after the second message is stored, before its move
        return outcome

    pipeline.ingest_stream = flaky  # type: ignore[method-assign]
    ImapPoller(settings(dovecot), pipeline, sleep=lambda seconds: dovecot.start()).run(cycles=1)
    assert documents(sessions) == 3
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == 3


def test_poll_imap_command(dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gateway.cli.commands import main

    dovecot.deliver(EMAILS[0].read_bytes())
    for name, value in {"HOME": str(tmp_path / "home"), "IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(dovecot.port),
                        "IMAP_USER": USER, "IMAP_PASSWORD": PASSWORD, "IMAP_SECURITY": "plain"}.items():  # fmt: skip
        monkeypatch.setenv(f"GATEWAY_{name}", value)
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["poll-imap", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 messages taken, 1 new documents" in result.stdout
    monkeypatch.delenv("GATEWAY_IMAP_HOST")
    assert CliRunner().invoke(main, ["poll-imap", "--once"]).exit_code != 0


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_tls_and_starttls_with_a_verified_certificate(
    security: Literal["tls", "starttls"],
    dovecot: Dovecot,
    pipeline: Pipeline,
    sessions: sessionmaker[Session],
) -> None:
    dovecot.deliver(EMAILS[0].read_bytes())
    secure = ImapSettings(
        host="127.0.0.1", port=dovecot.tls_port if security == "tls" else dovecot.port, username=USER,
        password=PASSWORD, security=security, ca_file=str(dovecot.certificate),
    )  # fmt: skip
    assert ImapPoller(secure, pipeline).poll_once().new_documents == 1
    untrusted = ImapSettings(
        host="127.0.0.1", port=secure.port, username=USER, password=PASSWORD, security=security
    )
    with pytest.raises(ssl.SSLError):
        ImapPoller(untrusted, pipeline).poll_once()
