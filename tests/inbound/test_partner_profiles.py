"""A bad profile file is refused loudly and the other partners keep trading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.cli.commands import main
from gateway.inbound.pipeline import Pipeline
from partners import PROFILES_DIR
from partners import PartnerRegistry
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT

# STRANGERCO is the sender of fixtures/inbox/unknown-sender.edi; its profile names an ack that is not one.
BAD_SCHEMA = """name = "strangerco"
customer_account = "C9999"
version = "004010"
acks = ["998"]
email_senders = ["someone@unknown.example"]
isa = { qualifier = "ZZ", id = "STRANGERCO" }
"""
BAD_TOML = 'name = "brokenco"\nisa = { qualifier = "ZZ", id = "BROKEN" \n'


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    """The demo profiles plus three bad files: a schema error, a TOML error and a second 'acme'."""
    folder = tmp_path / "profiles"
    shutil.copytree(PROFILES_DIR, folder)
    (folder / "strangerco.toml").write_text(BAD_SCHEMA)
    (folder / "brokenco.toml").write_text(BAD_TOML)
    (folder / "zz-acme-again.toml").write_text((PROFILES_DIR / "acme.toml").read_text())
    return folder


def test_bad_files_are_refused_with_their_error_and_the_good_ones_load(profiles: Path) -> None:
    registry = PartnerRegistry.from_directory(profiles)
    assert [p.name for p in registry] == ["acme", "globex", "initech", "northwind-shop"]
    refused = {r.path.name: r.error for r in registry.refused}
    assert set(refused) == {"brokenco.toml", "strangerco.toml", "zz-acme-again.toml"}
    assert "acks" in refused["strangerco.toml"] and "998" in refused["strangerco.toml"]
    assert "cannot read profile" in refused["brokenco.toml"]
    assert "two profiles are named 'acme'" in refused["zz-acme-again.toml"]
    assert PartnerRegistry.from_directory(PROFILES_DIR).refused == []


def test_documents_from_a_refused_partner_are_unknown_partner_with_the_profile_error(
    profiles: Path, master_sessions: sessionmaker[Session]
) -> None:
    pipeline = Pipeline(master_sessions, PartnerRegistry.from_directory(profiles), clock=lambda: FIXED_NOW)
    for path, where in (
        (INBOX / "unknown-sender.edi", "ISA sender ZZ/STRANGERCO"),
        (ROOT / "fixtures" / "emails" / "unknown-sender.eml", "someone@unknown.example"),
    ):
        outcome = pipeline.ingest_path(path)
        assert outcome.status == "unknown_partner"
        with master_sessions() as session:
            document = session.get(storage.Document, outcome.document_id)
            assert document is not None and document.error is not None
        assert where in document.error and "strangerco.toml" in document.error, document.error
        assert "was refused" in document.error and "998" in document.error, document.error
    assert pipeline.ingest_path(INBOX / "acme-4500012345.edi").status == "processed", "acme keeps trading"


def test_partners_check_lists_each_bad_file_and_exits_non_zero(profiles: Path) -> None:
    cli = CliRunner()
    bad = cli.invoke(main, ["partners", "check", str(profiles)])
    assert bad.exit_code == 1, bad.output
    for name in ("brokenco.toml", "strangerco.toml", "zz-acme-again.toml"):
        assert name in bad.stderr
    assert "3 of 7 profile files refused" in bad.stderr
    good = cli.invoke(main, ["partners", "check", str(PROFILES_DIR)])
    assert good.exit_code == 0 and "4 profiles ok" in good.stdout, good.output
    empty = cli.invoke(main, ["partners", "check", str(profiles / "no-such-folder")])
    assert empty.exit_code != 0


def test_status_and_init_start_and_name_the_refused_profiles(
    profiles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, master_template: Path
) -> None:
    (tmp_path / "home").mkdir()
    shutil.copyfile(master_template, tmp_path / "home" / "gateway.db")
    monkeypatch.setenv("GATEWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GATEWAY_PARTNERS_DIR", str(profiles))
    monkeypatch.setenv("GATEWAY_NOW", FIXED_NOW.isoformat())
    monkeypatch.delenv("GATEWAY_DATABASE_URL", raising=False)
    cli = CliRunner()
    loaded = cli.invoke(main, ["init", "--demo"])
    assert loaded.exit_code == 0, loaded.output
    assert "acme-4500012345.edi: processed" in loaded.stdout
    assert "profile refused" in loaded.stderr and "strangerco.toml" in loaded.stderr
    status = cli.invoke(main, ["status"])
    assert status.exit_code == 0, status.output
    assert "strangerco.toml" in status.stdout and "REFUSED" in status.stdout
    rows = json.loads(cli.invoke(main, ["status", "--json"]).stdout)
    [refused] = [r for r in rows if r["channel"] == "profile" and r["partner"] == "strangerco.toml"]
    assert "998" in refused["last_error"]
