"""The ``gateway`` CLI end to end on a temporary GATEWAY_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy import select

from gateway import desk
from gateway import storage
from gateway.cli.commands import main
from gateway.desk.exception_queue import QueueFilter
from gateway.desk.exception_queue import all_queue_rows
from partners import PROFILES_DIR
from tests.conftest import FIXED_NOW
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.conftest import acme_changed
from tests.conftest import gateway_command
from tests.conftest import hold_write_lock
from tests.work import sql_statements

JSON_KEYS = {
    "document_id",
    "sha256",
    "status",
    "format",
    "partner",
    "duplicate",
    "errors",
    "orders",
    "outbound",
}
LINE_KEYS = {"line_no", "buyer_part", "vendor_sku", "sku", "upc", "quantity", "uom", "unit_price"}
FINDING_KEYS = {
    "code", "severity", "action", "line_no", "field", "message", "expected", "received", "suggestions",
    "reason", "location",
}  # fmt: skip


def ingest_json(cli: CliRunner, *paths: Path) -> list[dict[str, Any]]:
    result = cli.invoke(main, ["ingest", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_ingest_json_shape_for_a_clean_850(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, INBOX / "acme-4500012345.edi")
    assert set(doc) == JSON_KEYS
    assert doc["status"] == "processed" and doc["format"] == "x12" and doc["partner"] == "acme"
    assert doc["duplicate"] is False and doc["errors"] == []
    [order] = doc["orders"]
    assert order["po_number"] == "4500012345" and order["status"] == "accepted"
    assert [line["vendor_sku"] for line in order["lines"]] == ["NW-10042", "NW-20017", "NW-30555"]
    first = order["lines"][0]
    assert set(first) == LINE_KEYS
    assert first == {
        "line_no": "1",
        "buyer_part": "AC-778",
        "vendor_sku": "NW-10042",
        "sku": "NW-10042",
        "upc": "012345678905",
        "quantity": "24",
        "uom": "EA",
        "unit_price": "4.50",
    }
    assert [o["kind"] for o in doc["outbound"]] == ["855", "997"]


def test_same_bytes_twice_are_one_document(cli: CliRunner, tmp_path: Path) -> None:
    copy = tmp_path / "renamed-copy.edi"
    copy.write_bytes((INBOX / "acme-4500012345.edi").read_bytes())
    first, second = ingest_json(cli, INBOX / "acme-4500012345.edi", copy)
    assert second["duplicate"] is True
    assert second["document_id"] == first["document_id"]
    assert [o["order_id"] for o in second["orders"]] == [o["order_id"] for o in first["orders"]]
    orders = json.loads(cli.invoke(main, ["orders", "--json"]).stdout)
    assert len(orders) == 1
    outbox = json.loads(cli.invoke(main, ["outbox", "--json"]).stdout)
    assert sorted(o["kind"] for o in outbox) == ["855", "997"], "answers are written once per document"


def test_same_po_in_new_bytes_is_flagged_duplicate(cli: CliRunner, tmp_path: Path) -> None:
    original = (INBOX / "acme-4500012345.edi").read_bytes()
    resent = tmp_path / "resend.edi"
    resent.write_bytes(original.replace(b"000001001", b"000001077"))
    _first, second = ingest_json(cli, INBOX / "acme-4500012345.edi", resent)
    assert second["duplicate"] is False
    assert second["orders"][0]["status"] == "exception"
    [finding] = second["orders"][0]["findings"]
    assert set(finding) == FINDING_KEYS
    assert finding["code"] == "duplicate_po" and finding["action"] == "hold" and finding["line_no"] is None
    assert finding["received"] == "4500012345" and finding["suggestions"] == []


def test_unknown_partner_is_stored_and_named(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, INBOX / "unknown-sender.edi")
    assert doc["status"] == "unknown_partner"
    assert doc["orders"] == [] and doc["outbound"] == []
    [error] = [e for e in doc["errors"] if e["code"] == "unknown_partner"]
    assert "ZZ/STRANGERCO" in error["message"] and "STRANGERCO" in error["message"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "x12.empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00 not an order", "image.corrupt"),
        (b"\x7fELF\x02\x01\x01\x00 not an order", "x12.not_x12"),
        (b"ISA*00*  *00", "x12.isa_short"),
    ],
)
def test_bad_input_is_stored_with_a_specific_error(
    cli: CliRunner, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "../../etc/passwd.edi".replace("/", "_")
    path.write_bytes(content)
    [doc] = ingest_json(cli, path)
    assert doc["status"] == "rejected"
    assert code in [e["reason"] for e in doc["errors"]]
    assert {e["code"] for e in doc["errors"]} == {"syntax"}
    assert doc["document_id"] > 0 and len(doc["sha256"]) == 64


def test_errors_in_one_set_reject_it_and_keep_the_other(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, INBOX / "acme-errors.edi")
    statuses = {o["po_number"]: o["status"] for o in doc["orders"]}
    assert statuses == {"4500012399": "rejected", "4500012400": "accepted"}
    rejected = next(o for o in doc["orders"] if o["status"] == "rejected")
    codes = {f["reason"] for f in rejected["findings"]}
    assert {f["code"] for f in rejected["findings"]} == {"syntax"}
    assert "x12.partner_code" in codes  # PO103 "XX" is outside what acme agreed to
    assert "x12.segment" in codes  # ZZZ is not an 850 segment
    assert [o["kind"] for o in doc["outbound"]] == ["855", "997"], "an 855 for the good set only"


def test_show_and_orders_commands(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, INBOX / "globex-GX-778812.edi")
    order_id = doc["orders"][0]["order_id"]
    shown = cli.invoke(main, ["show", str(order_id)])
    assert shown.exit_code == 0, shown.output
    assert "GX-778812" in shown.stdout
    detail = json.loads(cli.invoke(main, ["show", str(order_id), "--json"]).stdout)
    canonical = detail["canonical"]
    assert canonical["lines"][0]["distribution"][0] == {
        "provenance": {"quantity": "SDQ04@12"},
        "location_qualifier": "92",
        "location": "0101",
        "quantity": "12",
    }
    assert canonical["provenance"]["po_number"] == "BEG03@4"
    listed = cli.invoke(main, ["orders", "--status", "accepted"])
    assert "GX-778812" in listed.stdout
    assert cli.invoke(main, ["show", "999999"]).exit_code != 0


def test_init_demo_ingests_the_inbox(cli: CliRunner) -> None:
    result = cli.invoke(main, ["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert "master data:" in result.stdout
    assert "acme-4500012345.edi: processed" in result.stdout
    assert (
        "acme-SH-26001.json: outbound" in result.stdout and "acme-INV-90001.json: outbound" in result.stdout
    )
    outbox = json.loads(cli.invoke(main, ["outbox", "--json"]).stdout)
    assert {row["kind"] for row in outbox} >= {"997", "999", "TA1", "855", "856", "810"}
    assert all(row["status"] == "pending" for row in outbox), [r["errors"] for r in outbox]
    exceptions = json.loads(cli.invoke(main, ["orders", "--status", "exception", "--json"]).stdout)
    assert {"x12", "pdf", "excel", "email"} <= {o["channel"] for o in exceptions}, (
        "real exceptions to work on"
    )
    [user_line] = [line for line in result.stdout.splitlines() if line.startswith("order desk demo user:")]
    password = user_line.split(" / ")[1].split(" ")[0]
    assert desk.password_problem("demo", password) is None  # the rule every desk password passes
    again = cli.invoke(main, ["init", "--demo"])
    assert user_line in again.stdout, "the same demo password on a second run"
    engine = storage.make_engine(storage.database_url())
    with storage.make_sessionmaker(engine)() as session:
        assert desk.authenticate(session, "demo", password) is not None
    engine.dispose()
    assert oct((Path(os.environ["GATEWAY_HOME"]) / "demo-user.txt").stat().st_mode & 0o777) == "0o600"


def test_ship_invoice_outbox_and_alerts_on_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    ingest_json(cli, INBOX / "acme-4500012345.edi")
    shipment = ROOT / "fixtures" / "shipments" / "acme-SH-26001.json"
    shipped = cli.invoke(main, ["ship", "--json", str(shipment)])
    assert shipped.exit_code == 0, shipped.output
    assert json.loads(shipped.stdout)["status"] == "pending"
    again = cli.invoke(main, ["ship", str(shipment)])
    assert again.exit_code == 0 and "already recorded" in again.stdout
    over = tmp_path / "over.json"
    over.write_text(shipment.read_text().replace("SH-26001", "SH-26009"))
    refused = cli.invoke(main, ["ship", str(over)])
    assert refused.exit_code == 1 and "more than was ordered" in refused.stderr
    invoiced = cli.invoke(main, ["invoice", "--from-shipment", "SH-26001", "--partner", "acme"])
    assert invoiced.exit_code == 0 and "IN00000001: outbound" in invoiced.stdout
    assert cli.invoke(main, ["invoice"]).exit_code == 2
    listed = cli.invoke(main, ["outbox"])
    assert "856" in listed.stdout and "810" in listed.stdout and "OVERDUE" not in listed.stdout
    assert "not sent (997 clock starts when sent)" in listed.stdout
    assert cli.invoke(main, ["alerts"]).stdout == ""


def profile_strangerco(profiles: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped profiles plus one for STRANGERCO (unknown-sender.edi's sender), in ``profiles``,
    which the gateway now reads."""
    profiles.mkdir()
    for source in PROFILES_DIR.glob("*.toml"):
        (profiles / source.name).write_text(source.read_text())
    (profiles / "strangerco.toml").write_text(
        'name = "strangerco"\ncustomer_account = "C9999"\n'
        'isa = { qualifier = "ZZ", id = "STRANGERCO" }\nus = { qualifier = "ZZ", id = "NORTHWINDDIST" }\n'
    )
    monkeypatch.setenv("GATEWAY_PARTNERS_DIR", str(profiles))


def test_unknown_partner_document_is_reprocessed_once_a_profile_exists(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [doc] = ingest_json(cli, INBOX / "unknown-sender.edi")
    assert doc["status"] == "unknown_partner"
    profile_strangerco(tmp_path / "profiles", monkeypatch)
    result = cli.invoke(main, ["reprocess", str(doc["document_id"])])
    assert result.exit_code == 0, result.output
    assert "processed, 1 orders" in result.stdout
    outbox = json.loads(cli.invoke(main, ["outbox", "--json"]).stdout)
    assert [row["kind"] for row in outbox] == ["997"]


def test_crash_before_processing_is_resumed(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "home"

    def crash(self: object, document_id: int, *, again: bool) -> None:
        raise KeyboardInterrupt  # the process dies after the store committed

    monkeypatch.setattr("gateway.inbound.pipeline.Pipeline.process", crash)
    crashed = cli.invoke(main, ["ingest", str(INBOX / "acme-4500012345.edi")])
    assert crashed.exit_code != 0
    monkeypatch.undo()
    monkeypatch.setenv("GATEWAY_HOME", str(home))
    result = cli.invoke(main, ["reprocess", "--pending"])
    assert result.exit_code == 0, result.output
    assert "processed, 1 orders" in result.stdout
    [doc] = ingest_json(cli, INBOX / "acme-4500012345.edi")
    assert doc["duplicate"] is True and doc["status"] == "processed"


def test_order_sheet_is_ingested_for_the_named_partner(cli: CliRunner) -> None:
    sheet = ROOT / "fixtures" / "sheets" / "plain-export.xlsx"
    [doc] = ingest_json(cli, sheet)
    assert doc["status"] == "unknown_partner" and doc["format"] == "xlsx"
    assert "--partner" in doc["errors"][0]["message"]
    result = cli.invoke(main, ["ingest", "--json", "--partner", "acme", str(sheet)])
    assert result.exit_code == 0, result.output
    again = json.loads(result.stdout)
    assert again["document_id"] == doc["document_id"]
    assert again["status"] == "processed" and again["partner"] == "acme" and again["outbound"] == []
    [order] = again["orders"]
    assert order["po_number"] == "4500099001" and order["status"] == "accepted"
    assert [line["vendor_sku"] for line in order["lines"]] == ["NW-10042", "NW-20017", "NW-30555"]
    detail = json.loads(cli.invoke(main, ["show", str(order["order_id"]), "--json"]).stdout)
    assert detail["canonical"]["lines"][0]["provenance"]["quantity"]["cell"] == "C6"
    assert cli.invoke(main, ["ingest", "--partner", "nobody", str(sheet)]).exit_code != 0


def test_sheet_with_a_wrong_extension_becomes_an_exception(cli: CliRunner, tmp_path: Path) -> None:
    sheet = tmp_path / "order.csv"
    sheet.write_text("PO Number,PO-1\nItem,Qty,Unit Price,Amount\nNW-10042,10,2.00,25.00\n")
    result = cli.invoke(main, ["ingest", "--json", "--partner", "acme", str(sheet)])
    doc = json.loads(result.stdout)
    [order] = doc["orders"]
    assert order["status"] == "exception"
    assert "sheet.extension_mismatch" in [f["reason"] for f in order["findings"]]


def test_pdf_order_is_ingested_for_the_named_partner(cli: CliRunner) -> None:
    result = cli.invoke(
        main, ["ingest", "--json", "--partner", "acme", str(ROOT / "fixtures/pdfs/ruled-simple.pdf")]
    )
    doc = json.loads(result.stdout)
    assert doc["format"] == "pdf" and doc["status"] == "processed"
    assert doc["orders"][0]["po_number"] == "4500077001"


def test_corrupt_pdf_is_kept_with_a_specific_error(cli: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "in.bin"
    path.write_bytes(b"%PDF-1.7\n...")
    [doc] = ingest_json(cli, path)
    assert doc["format"] == "pdf" and doc["status"] == "rejected"
    assert doc["errors"][0]["code"] == "syntax" and doc["errors"][0]["reason"] == "pdf.corrupt"


def test_eml_files_are_ingested(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, ROOT / "fixtures" / "emails" / "typed-lines.eml")
    assert doc["format"] == "email" and doc["status"] == "processed" and doc["partner"] == "acme"
    assert doc["orders"][0]["po_number"] == "778812"


def test_reprocess_refuses_a_document_whose_orders_were_decided(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, INBOX / "acme-4500012345.edi")
    [order] = doc["orders"]
    assert order["status"] == "accepted"
    result = cli.invoke(main, ["reprocess", str(doc["document_id"])])
    assert result.exit_code == 1
    assert f"Order {order['order_id']} from this document is already accepted" in result.stderr
    orders = json.loads(cli.invoke(main, ["orders", "--json"]).stdout)
    assert [o["order_id"] for o in orders] == [order["order_id"]], "not replaced"


def test_a_held_invoice_is_released_from_the_command_line(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = acme_changed(
        tmp_path / "profiles", {"[narrow]": '[invoicing]\nprice_mismatch = "hold"\n\n[narrow]'}
    )
    monkeypatch.setenv("GATEWAY_PARTNERS_DIR", str(profiles))
    ingest_json(cli, INBOX / "acme-4500012345.edi")
    record = json.loads((ROOT / "fixtures" / "invoices" / "acme-INV-90001.json").read_text())
    record["lines"][0]["unit_price"] = "5.99"
    invoice = tmp_path / "invoice.json"
    invoice.write_text(json.dumps(record))
    held = cli.invoke(main, ["invoice", str(invoice)])
    assert held.exit_code == 0 and "held" in held.stdout and "invoiced at 5.99" in held.stdout, held.output
    released = cli.invoke(main, ["invoice", "--release", "INV-90001", "--partner", "acme"])
    assert released.exit_code == 0 and "released, pending" in released.stdout, released.output
    again = cli.invoke(main, ["invoice", "--release", "INV-90001", "--partner", "acme"])
    assert again.exit_code != 0 and "is not held" in again.output


def outbox_rows(cli: CliRunner) -> list[tuple[int, str, int, str]]:
    rows = json.loads(cli.invoke(main, ["outbox", "--json"]).stdout)
    return sorted((r["id"], r["kind"], r["interchange_control_number"], r["refers_to"]) for r in rows)


@pytest.mark.parametrize(
    ("fixture", "control", "acks"),
    [("acme-4500012345.edi", "000001001", ["997"]), ("globex-GX-778812.edi", "000005501", ["997", "TA1"])],
)
def test_reprocess_does_not_answer_an_interchange_again_unless_asked(
    cli: CliRunner, tmp_path: Path, fixture: str, control: str, acks: list[str]
) -> None:
    original = (INBOX / fixture).read_bytes()
    resent = tmp_path / f"resent-{fixture}"
    resent.write_bytes(original.replace(control.encode(), b"000001077"))
    _first, second = ingest_json(cli, INBOX / fixture, resent)
    assert second["orders"][0]["status"] == "exception", (
        "a duplicate PO waits on the desk: reprocess is allowed"
    )
    answered = outbox_rows(cli)
    first_acks = [row for row in answered if row[3] == "ISA13 000001077"]
    assert sorted(kind for _, kind, _, _ in first_acks) == acks
    result = cli.invoke(main, ["reprocess", str(second["document_id"])])
    assert result.exit_code == 0, result.output
    assert outbox_rows(cli) == answered, "same rows, same control numbers: nothing answered twice"
    result = cli.invoke(main, ["reprocess", "--resend-acks", str(second["document_id"])])
    assert result.exit_code == 0, result.output
    again = [row for row in outbox_rows(cli) if row not in answered]
    assert sorted(kind for _, kind, _, _ in again) == acks
    assert all(refers == "ISA13 000001077" for *_, refers in again)
    spent = {number for _, _, number, _ in answered}
    assert all(number not in spent for _, _, number, _ in again), "new acks get new control numbers"


def test_reprocess_pending_with_nothing_pending_says_so(cli: CliRunner) -> None:
    result = cli.invoke(main, ["reprocess", "--pending"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "nothing pending\n"
    assert cli.invoke(main, ["reprocess"]).exit_code == 2, "naming nothing at all is still a usage error"


def test_ingest_waits_for_a_busy_store_and_stores_every_file(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: an ingest of 8 files started during a long write died with "database is locked"."""
    original = (INBOX / "acme-4500012345.edi").read_bytes()
    files = []
    for n in range(8):
        path = tmp_path / f"in-{n}.edi"
        path.write_bytes(original.replace(b"000001001", f"00000200{n}".encode()))
        files.append(str(path))
    monkeypatch.setenv("GATEWAY_SQLITE_BUSY_SECONDS", "1")
    store = tmp_path / "home" / "gateway.db"
    holder = hold_write_lock(store)
    stderr = tmp_path / "stderr.txt"
    with stderr.open("wb") as err:
        ingest = subprocess.Popen(
            gateway_command("ingest", *files), cwd=ROOT, stdout=subprocess.PIPE, stderr=err
        )
        try:
            deadline = time.monotonic() + 120
            while ingest.poll() is None and "busy" not in stderr.read_text():
                assert time.monotonic() < deadline, "ingest neither waited nor finished"
                time.sleep(0.05)
        finally:
            holder.execute("COMMIT")
        out, _ = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, stderr.read_text()
    assert "NOT STORED" not in stderr.read_text()
    assert len(out.decode().splitlines()) == 8, out
    engine = storage.make_engine(f"sqlite:///{store}")
    with storage.make_sessionmaker(engine)() as session:
        assert len(session.scalars(select(storage.Document.id)).all()) == 8
    engine.dispose()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that is not the gateway's, with no GATEWAY_HOME set."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in ("GATEWAY_HOME", "GATEWAY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.mark.parametrize("command", [["orders"], ["show", "1"], ["outbox"], ["status"], ["alerts"]])
def test_read_only_commands_refuse_to_create_a_store(elsewhere: Path, command: list[str]) -> None:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1, result.output
    assert f"no store at {elsewhere / 'var' / 'gateway.db'}" in result.stderr
    assert "GATEWAY_HOME" in result.stderr
    assert list(elsewhere.iterdir()) == [], "nothing created"


def test_a_new_store_says_where_it_is_made(elsewhere: Path) -> None:
    result = CliRunner().invoke(main, ["ingest", str(INBOX / "unknown-sender.edi")])
    assert result.exit_code == 0, result.output
    store = elsewhere / "var" / "gateway.db"
    assert f"creating a new store at {store}" in result.stderr
    assert store.exists()
    again = CliRunner().invoke(main, ["orders"])
    assert again.exit_code == 0 and again.stderr == "", "an existing store is used quietly"


def test_a_named_home_without_a_store_is_not_created_by_a_read(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "home" / "gateway.db").unlink()
    result = cli.invoke(main, ["outbox"])
    assert result.exit_code == 1 and "no store at" in result.stderr
    assert not (tmp_path / "home" / "gateway.db").exists()


# -- an unknown X12 sender, read with a provisional profile (issue 17, section 5) -----------------


def _unknown_with_syntax_errors(tmp_path: Path) -> Path:
    """unknown-sender.edi with a date that is no date (BEG05) and a quantity that is no number (PO102)."""
    raw = (INBOX / "unknown-sender.edi").read_bytes()
    bad = raw.replace(b"UNK-1**20261119", b"UNK-1**20261399")
    bad = bad.replace(b"PO1*1*1*EA", b"PO1*1*ABC*EA")
    assert bad != raw
    path = tmp_path / "stranger-broken.edi"
    path.write_bytes(bad)
    return path


def test_an_unknown_sender_is_read_provisionally_and_nothing_is_sent_or_ordered(cli: CliRunner) -> None:
    [doc] = ingest_json(cli, INBOX / "unknown-sender.edi")
    assert doc["status"] == "unknown_partner" and doc["orders"] == [] and doc["outbound"] == []
    read = doc["provisional"]
    assert read["problem"] is None and read["profile"] == "strangerco"
    [interchange] = read["interchanges"]
    assert interchange["sender"] == "ZZ/STRANGERCO" and interchange["receiver"] == "ZZ/NORTHWINDDIST"
    assert interchange["gs_sender"] == "STRANGERCO" and interchange["version"] == "004010"
    assert interchange["control_number"] == "000000009" and interchange["errors"] == []
    [one] = interchange["sets"]
    assert one["set_id"] == "850" and one["control_number"] == "0001"
    assert one["po_number"] == "UNK-1" and one["po_date"] == "2026-11-19"
    assert one["line_count"] == 1 and one["errors"] == []
    assert one["lines"] == [
        {
            "line_no": "1",
            "part": "NW-10042",
            "description": None,
            "quantity": "1",
            "uom": "EA",
            "unit_price": "1",
        }
    ]
    # Nothing was acknowledged, ordered, allocated or queued as an order.
    assert json.loads(cli.invoke(main, ["orders", "--json"]).stdout) == []
    assert json.loads(cli.invoke(main, ["outbox", "--json"]).stdout) == []
    home = Path(os.environ["GATEWAY_HOME"])
    sessions = storage.make_sessionmaker(storage.make_engine(f"sqlite:///{home / 'gateway.db'}"))
    with sessions() as session:
        assert session.scalars(select(storage.PurchaseOrder)).all() == []
        assert session.scalars(select(storage.OutboundRecord)).all() == []
        rows = all_queue_rows(session, QueueFilter(), now=FIXED_NOW)
    assert [(r.kind, r.document_id, r.status) for r in rows] == [
        ("document", doc["document_id"], "unknown_partner")
    ]


def test_an_unknown_senders_syntax_problems_are_named(cli: CliRunner, tmp_path: Path) -> None:
    [doc] = ingest_json(cli, _unknown_with_syntax_errors(tmp_path))
    assert doc["status"] == "unknown_partner" and doc["outbound"] == [] and doc["orders"] == []
    [one] = doc["provisional"]["interchanges"][0]["sets"]
    assert one["po_number"] == "UNK-1" and one["line_count"] == 1
    assert len(one["errors"]) == 2
    beg, po1 = one["errors"]
    assert beg["location"] == "segment 4 (BEG), element 05" and "invalid date (20261399)" in beg["message"]
    assert po1["location"] == "segment 5 (PO1), element 02" and "(ABC)" in po1["message"]
    assert {e["code"] for e in one["errors"]} == {"x12.element"} and beg["severity"] == "error"


def test_gateway_show_document_prints_the_provisional_reading(cli: CliRunner, tmp_path: Path) -> None:
    [doc] = ingest_json(cli, _unknown_with_syntax_errors(tmp_path))
    shown = cli.invoke(main, ["show", "--document", str(doc["document_id"])])
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert f"document {doc['document_id']}" in text and "unknown_partner" in text
    assert "read with a provisional profile" in text and "nothing was sent" in text
    assert "ISA sender ZZ/STRANGERCO" in text and "850 0001  PO UNK-1" in text and "1 lines" in text
    assert "NW-10042" in text and text.count("error ") == 2
    as_json = json.loads(cli.invoke(main, ["show", "--document", str(doc["document_id"]), "--json"]).stdout)
    assert as_json["provisional"] == doc["provisional"] and as_json["status"] == "unknown_partner"
    missing = cli.invoke(main, ["show", "--document", "999"])
    assert missing.exit_code != 0 and "no document 999" in missing.output


def test_a_huge_unknown_interchange_is_not_read_at_intake(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gateway.inbound.provisional.MAX_PREVIEW_BYTES", 100)
    [doc] = ingest_json(cli, INBOX / "unknown-sender.edi")
    assert doc["status"] == "unknown_partner" and doc["outbound"] == []
    assert doc["provisional"]["interchanges"] == []
    assert "not read" in doc["provisional"]["problem"]


def test_the_provisional_reading_goes_once_a_profile_exists(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [doc] = ingest_json(cli, INBOX / "unknown-sender.edi")
    assert doc["provisional"]["interchanges"]
    profile_strangerco(tmp_path / "profiles", monkeypatch)
    assert cli.invoke(main, ["reprocess", str(doc["document_id"])]).exit_code == 0
    shown = json.loads(cli.invoke(main, ["show", "--document", str(doc["document_id"]), "--json"]).stdout)
    assert shown["status"] == "processed" and "provisional" not in shown


def test_the_summary_line_reads_no_order_back(cli: CliRunner) -> None:
    """`gateway ingest` without --json prints a count: it does not load every order and finding again."""
    with sql_statements(Engine) as seen:
        result = cli.invoke(main, ["ingest", str(INBOX / "acme-errors.edi")])
    selects = [statement for statement, _ in seen if statement.lstrip().upper().startswith("SELECT")]
    assert result.exit_code == 0, result.output
    assert "acme-errors.edi: document 1 processed; 2 orders; 855, 997" in result.output
    # processing reads neither (the tally reads finding codes only); the --json report reads both
    assert selects and not [s for s in selects if "finding.message" in s or "purchase_order.canonical" in s]
