"""Fuzzing the X12 reader: the pre-pass, ``parse_stream`` and the pipeline, over damaged real interchanges.

A short deterministic run; ``python -m bench.fuzz`` runs the same properties for longer, and
atheris over the same readers. Inputs that once broke a reader live in ``tests/fuzz/fuzz_regressions/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example
from hypothesis import given

from gateway.inbound.pipeline import Pipeline
from parsers import parse
from partners import PartnerRegistry
from tests.fuzz.fuzz_inputs import REGRESSIONS
from tests.fuzz.fuzz_inputs import ROOT
from tests.fuzz.fuzz_inputs import check_ingest
from tests.fuzz.fuzz_inputs import check_parse_stream
from tests.fuzz.fuzz_inputs import check_prepass
from tests.fuzz.fuzz_inputs import regression_files
from tests.fuzz.fuzz_inputs import short_run
from tests.fuzz.fuzz_inputs import x12_inputs

ISA = b"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDDIST  *261120*0930*U*00401*000000001*0*P*>~"


@short_run(100)
@given(data=x12_inputs())
@example(data=ISA + b"GE*1*1~IEA*1*000000001~")  # a GE with no GS (pyx12 popped the ISA: IndexError)
@example(data=ISA + b"GS*PO*A*B*20261120*0930*1*X*004010~SE*2*1~GE*0*1~IEA*1*000000001~")  # SE with no ST
def test_prepass_reads_any_bytes_to_the_end(data: bytes) -> None:
    check_prepass(data)


@short_run(100)
@given(data=x12_inputs())
@example(data=ISA + b"GE*1*1~IEA*1*000000001~")
@example(data=ISA + b"GS*PO*A*B*20261120*0930*1*X*004010~SE*2*1~GE*0*1~IEA*1*000000001~")
@example(data=b"ISA*" + b"*" * 20 + b"~")
def test_parse_stream_never_raises(data: bytes, partners: PartnerRegistry) -> None:
    check_parse_stream(data, partners)


@short_run(60)
@given(data=x12_inputs())
@example(data=ISA + b"GE*1*1~IEA*1*000000001~")
def test_every_interchange_is_stored_with_a_specific_outcome(data: bytes, pipeline: Pipeline) -> None:
    check_ingest(pipeline, data, channel="sftp", filename="fuzz.edi")


@pytest.mark.parametrize("path", regression_files("x12"), ids=lambda p: p.name)
def test_x12_regressions(path: Path, partners: PartnerRegistry, pipeline: Pipeline) -> None:
    data = path.read_bytes()
    check_prepass(data)
    check_parse_stream(data, partners)
    check_ingest(pipeline, data, channel="sftp", filename=path.name)


@pytest.mark.parametrize("name", ["x12-ge-without-gs.edi", "x12-se-without-st.edi"])
def test_a_trailer_without_its_header_is_an_envelope_error(name: str, partners: PartnerRegistry) -> None:
    found = parse((REGRESSIONS / name).read_bytes(), partners=partners)
    assert any(i.code == "x12.envelope" and "never started" in i.message for i in found.all_issues)


def test_an_overlong_isa13_fits_the_postgresql_column(pipeline: Pipeline) -> None:
    """Found by fuzzing: on PostgreSQL the insert failed (interchange_control_number is String(16))."""
    data = (ROOT / "fixtures" / "inbox" / "acme-4500012345.edi").read_bytes()
    data = data.replace(b"*000001001*", b"*000001001XXXXXXXX*", 1)
    check_ingest(pipeline, data, channel="sftp", filename="acme.edi", postgres_widths=True)
