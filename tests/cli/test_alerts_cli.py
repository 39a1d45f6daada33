"""``gateway alerts``: each alert with its action, repeat count, first/last seen and desk link (text
and ``--json``), filtered by ``--kind``/``--partner``; ``--resolve ID --note`` resolves one, audited;
a bad alert threshold stops every command at start-up, named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.alerts import raise_alert
from gateway.cli.commands import main
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind
from tests.conftest import FIXED_NOW


@pytest.fixture
def home(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ``cli`` fixture's home, with the desk's public address set for the alerts' links."""
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", "https://desk.example")
    return tmp_path / "home"


@pytest.fixture
def sessions(home: Path) -> Iterator[sessionmaker[Session]]:
    engine = storage.make_engine(f"sqlite:///{home / 'gateway.db'}")
    yield storage.make_sessionmaker(engine)
    engine.dispose()


def raise_two(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session, session.begin():
        failing = dict(
            kind=AlertKind.POLLER_FAILING,
            partner="acme",
            message="sftp-pull of acme failed 3 times in a row",
            action="check the sftp-pull connection of acme",
            dedupe_key="poller_failing:acme:sftp-pull",
        )
        poller = raise_alert(session, at=FIXED_NOW, **failing).id  # type: ignore[arg-type]
        raise_alert(session, at=FIXED_NOW + timedelta(minutes=10), **failing)  # type: ignore[arg-type]
        stuck = raise_alert(
            session,
            kind=AlertKind.DOCUMENT_STUCK,
            partner="globex",
            document_id=None,
            message="a document is still not processed",
            action="check that the worker runs",
            at=FIXED_NOW,
        ).id
    return poller, stuck


def test_alerts_lists_action_repeats_seen_and_link_as_text_and_json(sessions: sessionmaker[Session]) -> None:
    poller, stuck = raise_two(sessions)
    runner = CliRunner()
    text = runner.invoke(main, ["alerts"])
    assert text.exit_code == 0, text.output
    assert f"#{poller} OPEN poller_failing (acme): sftp-pull of acme failed 3 times in a row" in text.stdout
    assert "    action: check the sftp-pull connection of acme" in text.stdout
    when = f"{FIXED_NOW:%Y-%m-%d %H:%M}"
    later = f"{FIXED_NOW + timedelta(minutes=10):%Y-%m-%d %H:%M}"
    assert f"seen 2x, first {when}, last {later} UTC; desk: https://desk.example/partners/acme" in text.stdout
    assert f"#{stuck} OPEN document_stuck (globex)" in text.stdout

    listed = json.loads(runner.invoke(main, ["alerts", "--json", "--partner", "acme"]).stdout)
    assert [row["id"] for row in listed] == [poller]
    [row] = listed
    assert row["action"] == "check the sftp-pull connection of acme" and row["repeats"] == 1
    assert row["first_seen"].startswith(f"{FIXED_NOW:%Y-%m-%d %H:%M}")
    assert row["last_seen"].startswith(later) and row["link"] == "https://desk.example/partners/acme"
    by_kind = json.loads(runner.invoke(main, ["alerts", "--json", "--kind", "document_stuck"]).stdout)
    assert [row["id"] for row in by_kind] == [stuck]
    wrong = runner.invoke(main, ["alerts", "--kind", "nonsense"])
    assert wrong.exit_code == 1 and "--kind must be one of" in wrong.stderr


def test_alerts_resolve_closes_one_audited_with_its_note(sessions: sessionmaker[Session]) -> None:
    poller, stuck = raise_two(sessions)
    runner = CliRunner()
    done = runner.invoke(main, ["alerts", "--resolve", str(poller), "--note", "rotated the SFTP key"])
    assert done.exit_code == 0, done.output
    assert f"alert {poller} resolved" in done.stdout and "the next check raises it again" in done.stdout
    remaining = json.loads(runner.invoke(main, ["alerts", "--json"]).stdout)
    assert [row["id"] for row in remaining] == [stuck]
    with sessions() as session:
        audit = session.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.action == "alert.resolve")
        ).one()
        assert audit.subject_id == str(poller) and audit.actor.endswith("(command line)")
        assert audit.after is not None and audit.after["note"] == "rotated the SFTP key"
        notice = session.scalars(
            select(storage.AlertNotification).where(
                storage.AlertNotification.alert_id == poller,
                storage.AlertNotification.event == AlertEvent.RESOLVED,
            )
        ).one()
        assert notice.body is not None and notice.body.endswith(": rotated the SFTP key")
    again = runner.invoke(main, ["alerts", "--resolve", str(poller)])
    assert again.exit_code == 1 and f"alert {poller} is not open" in again.stderr


@pytest.mark.parametrize(
    ("name", "value"), [("GATEWAY_ALERT_POLLER_FAILURES", "none"), ("GATEWAY_ALERT_ACK_WINDOW_HOURS", "0")]
)
def test_a_bad_alert_threshold_stops_any_command_at_start_up_named(
    home: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["orders"])
    assert result.exit_code == 1 and name in result.stderr
