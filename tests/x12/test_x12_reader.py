"""The X12 reader end to end: memoized validation, multi-interchange files, 5010, big files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from gateway import storage
from gateway.inbound.pipeline import Pipeline
from parsers import ParsedInterchange
from parsers import parse
from parsers.x12 import read_x12
from partners import PartnerRegistry
from tests.conftest import CORPUS
from tests.conftest import INBOX
from tests.conftest import ROOT
from tests.x12.test_acks import CORPUS_850S


def issue_dump(data: bytes, partners: PartnerRegistry, cache: bool) -> list[str]:
    found = []
    for event in read_x12(io.BytesIO(data), partners=partners, document_id="1", cache=cache):
        found.append(repr(event))
    return found


@pytest.mark.parametrize("path", [*sorted(INBOX.iterdir()), *(CORPUS / p for p in CORPUS_850S)], ids=str)
def test_memoized_validation_finds_exactly_what_a_full_run_finds(
    path: Path, corpus_partners: PartnerRegistry
) -> None:
    data = Path(path).read_bytes()
    doubled = data + b"\n" + data  # the second copy is served from the caches
    assert issue_dump(doubled, corpus_partners, cache=True) == issue_dump(
        doubled, corpus_partners, cache=False
    )


def test_file_with_two_interchanges_and_different_separators(partners: PartnerRegistry) -> None:
    acme = (INBOX / "acme-4500012345.edi").read_bytes()
    globex = (INBOX / "globex-GX-778812.edi").read_bytes()
    result = parse(acme + globex + acme.replace(b"000001001", b"000001003"), partners=partners)
    assert [p.order.partner for p in result.orders] == ["acme", "globex", "acme"]
    assert [ix.receipt.separators.element for ix in result.interchanges] == ["*", "|", "*"]
    assert not [i for i in result.all_issues if i.is_error]


def test_5010_repetition_separator_is_split_not_mistaken_for_data(partners: PartnerRegistry) -> None:
    data = (INBOX / "initech-INI-2026-0042.edi").read_bytes()
    data = data.replace(b"REF*CO*ORDER 42~", b"REF*CO*ORDER 42^ORDER 43~")
    result = parse(data, partners=partners)
    [parsed] = result.orders
    assert parsed.transaction is not None
    assert not parsed.rejected, [i.message for i in parsed.transaction.issues]
    assert parsed.order.references[0].value == "ORDER 42"
    assert parsed.order.references[0].repeats == ["ORDER 43"]


def test_missing_se_is_reported_and_the_order_kept(partners: PartnerRegistry) -> None:
    data = (INBOX / "acme-4500012345.edi").read_bytes().replace(b"SE*22*0001~\n", b"")
    result = parse(data, partners=partners)
    [parsed] = result.orders
    assert parsed.rejected and parsed.transaction is not None
    assert "x12.se_missing" in [i.code for i in parsed.transaction.issues]
    assert parsed.order.po_number == "4500012345"


def test_canonical_order_fields_and_provenance(partners: PartnerRegistry) -> None:
    [parsed] = parse((INBOX / "acme-4500012345.edi").read_bytes(), partners=partners, document_id="7").orders
    order = parsed.order
    assert (order.po_number, str(order.po_date), order.currency, order.purpose.value) == (
        "4500012345",
        "2026-11-18",
        "USD",
        "original",
    )
    assert order.ship_to is not None and order.ship_to.address is not None
    assert order.ship_to.address.city == "Columbus" and order.ship_to.id == "DC12"
    assert order.terms[0].net_days == 60 and str(order.terms[0].discount_percent) == "2"
    assert order.carriers[0].scac == "UPSN"
    assert order.stated_total is not None and str(order.stated_total) == "544.80"
    line = order.lines[1]
    assert (line.vendor_sku, line.buyer_part, str(line.unit_price)) == ("NW-20017", "AC-913", "52.80")
    assert line.quantity is not None and (str(line.quantity.value), line.quantity.uom) == ("6", "CA")
    assert line.description == "BOLT M8X40 ZINC CASE/100"
    where = line.provenance["unit_price"]
    assert (where.segment_index, where.segment_id, where.element) == (18, "PO1", "PO104")
    assert order.document_id == "7"


def big_ingest(folder: Path, megabytes: int) -> dict[str, Any]:
    """Facts of a generated interchange of ``megabytes`` ingested in a child process of its own
    (so that its peak RSS is the ingest's), waited for however long a loaded machine takes."""
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tests.workers.big_ingest", str(folder), str(megabytes)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    facts: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["status"] == "processed" and facts["outbound"] == 1, facts
    assert facts["orders"] == megabytes * 1_000_000 // 1700 and facts["size_mb"] > megabytes, facts
    return facts


@pytest.mark.slow
def test_an_interchange_four_times_bigger_is_ingested_in_the_same_memory(tmp_path: Path) -> None:
    """Streaming, the peak is the process (imports and maps, before the first byte) and a bounded
    rest: memos of a few thousand entries, a batch of at most 2,000 lines, a slotted receipt per
    set. So 8 MB (4,705 orders of 20 lines) peaks within half its extra 6 MB of what 2 MB (1,176)
    does: 1.5 MB more was measured between 2 and 10 MB, where a reader holding the text alone
    would add the 6 MB twice (bytes and str) and the parsed orders far more. The absolute bound
    stands too: 150 MB, some 115 of them the process (121 MB measured at 20 MB; 272 MB before the
    memos were bounded). `python -m bench --only memory` measures a 200 MB interchange."""
    small = big_ingest(tmp_path / "small", 2)
    big = big_ingest(tmp_path / "big", 8)
    assert big["peak_rss_mb"] < 150, big
    assert big["peak_rss_mb"] - small["peak_rss_mb"] < (big["size_mb"] - small["size_mb"]) / 2, (small, big)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("kputnam__stupidedi/spec/fixtures/003050/PO850/fail/1.edi", "x12.version"),
        ("Stedi-Demos__bootstrap-archived/src/resources/X12/5010/850/input.edi", "x12.functional_id"),
        ("Inteligenz__X12Parser/tests/OopFactory.X12.Tests.Unit/Parsing/_SampleEdiFiles/ORD/_850/Example3_Adobe_CLP.txt",
         "x12.isa_width"),
    ],
)  # fmt: skip
def test_envelope_warnings_reach_the_orders(path: str, code: str, corpus_partners: PartnerRegistry) -> None:
    result = parse((CORPUS / path).read_bytes(), partners=corpus_partners)
    assert result.orders
    for parsed in result.orders:
        assert code in [i.code for i in parsed.issues if not i.is_error]


ACME_ISA = (INBOX / "acme-4500012345.edi").read_bytes()[:106]


@pytest.mark.parametrize(
    ("name", "data", "missing"),
    [
        ("isa-only", ACME_ISA, "IEA"),
        ("isa-iea", ACME_ISA + b"\nIEA*0*000001001~\n", None),
    ],
)
def test_an_envelope_without_a_group_from_a_known_sender_says_what_is_missing(
    name: str, data: bytes, missing: str | None, pipeline: Pipeline, sessions: sessionmaker[Session]
) -> None:
    outcome = pipeline.ingest_stream(io.BytesIO(data), channel="file", filename=f"{name}.edi")
    assert outcome.status == "rejected"
    with sessions() as session:
        document = session.get(storage.Document, outcome.document_id)
        assert document is not None
        assert document.partner == "acme" and document.error_code != "unknown_partner"
        assert "no functional group" in (document.error or "") + " ".join(
            e["message"] for e in document.errors
        )
        assert not any(e["code"] == "unknown_partner" for e in document.errors)
        if missing:
            assert any(missing in e["message"] for e in document.errors), document.errors
        kinds = [row.kind for row in session.scalars(select(storage.OutboundRecord))]
    assert kinds == ["TA1"], "acme asks for a TA1 when the envelope is wrong"


def test_a_ta1_interchange_is_not_missing_a_group(partners: PartnerRegistry) -> None:
    ta1 = ACME_ISA + b"\nTA1*000000042*261120*0930*A*000~\nIEA*0*000001001~\n"
    [parsed] = list(read_x12(io.BytesIO(ta1), partners=partners, document_id="1"))
    assert isinstance(parsed, ParsedInterchange)
    assert parsed.partner is not None and parsed.partner.name == "acme"
    assert not any(i.code == "x12.no_group" for i in parsed.receipt.issues)
