"""Fuzzing the email reader: built MIME trees (nested, mis-encoded, cut) and damaged real messages.

A short deterministic run; ``python -m bench.fuzz`` runs longer. Inputs that once broke the
reader live in ``tests/fuzz/fuzz_regressions/``.
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
from tests.fuzz.fuzz_inputs import check_email
from tests.fuzz.fuzz_inputs import check_ingest
from tests.fuzz.fuzz_inputs import email_documents
from tests.fuzz.fuzz_inputs import regression_files
from tests.fuzz.fuzz_inputs import short_run

TRUNCATED_FROM = b"From: EDI desk <edi@\nTo: orders@northwind.example\nSubject: PO\n\n10 x ABC-123\n"


@short_run(80)
@given(data=email_documents())
@example(data=TRUNCATED_FROM)  # CPython's address parser raised IndexError on a From cut after the @
def test_email_reader_never_raises(data: bytes, partners: PartnerRegistry) -> None:
    check_email(data, partners)


@short_run(60)
@given(data=email_documents())
@example(data=TRUNCATED_FROM)
def test_every_message_is_stored_with_a_specific_outcome(data: bytes, pipeline: Pipeline) -> None:
    check_ingest(pipeline, data, channel="imap", filename="fuzz.eml")


@pytest.mark.parametrize("path", regression_files("email"), ids=lambda p: p.name)
def test_email_regressions(path: Path, partners: PartnerRegistry, pipeline: Pipeline) -> None:
    data = path.read_bytes()
    check_email(data, partners)
    check_ingest(pipeline, data, channel="imap", filename=path.name)


def test_a_truncated_from_still_leaves_the_other_senders(partners: PartnerRegistry) -> None:
    found = parse((REGRESSIONS / "email-forwarded-truncated-from.eml").read_bytes(), partners=partners)
    assert found.format == "email" and len(found.orders) == 1
    assert "someone@unknown.example" in next(i.message for i in found.issues if i.code == "partner.unknown")
