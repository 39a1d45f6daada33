"""``emit_and_store``: the partner's next control numbers, pyx12's check, the outbox row and its ack window."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from emitters import ControlNumberSource
from emitters import OutboundDocument
from emitters import x12_855
from emitters import x12_997
from gateway import storage
from gateway.model.status import OutboxStatus
from gateway.outbound.outbox import emit_and_store
from partners import PartnerProfile
from tests.outbound.test_855 import WHEN
from tests.outbound.test_855 import decided
from tests.x12.test_acks import profile
from tests.x12.test_acks import receipt

Emit = Callable[[ControlNumberSource], OutboundDocument]


def partner() -> PartnerProfile:
    return profile().model_copy(update={"ack_window_hours": 6})


def an_855(to: PartnerProfile) -> Emit:
    ack = decided(qty="36")
    return lambda numbers: x12_855.emit(ack, to, numbers=numbers, when=WHEN)


def broken(emit: Emit) -> Emit:
    """``emit``'s document with BAK02 emptied: pyx12 refuses it."""

    def emit_broken(numbers: ControlNumberSource) -> OutboundDocument:
        good = emit(numbers)
        content = good.content.replace(b"BAK*00*AD*", b"BAK*00**")
        assert content != good.content
        return good.model_copy(update={"content": content})

    return emit_broken


def row(session: Session, outbound_id: int) -> storage.OutboundRecord:
    found = session.get(storage.OutboundRecord, outbound_id)
    assert found is not None
    return found


def test_a_document_takes_the_partners_next_numbers_and_is_due_a_window_after_it_leaves(
    sessions: sessionmaker[Session],
) -> None:
    to = partner()
    with sessions() as session, session.begin():
        first = emit_and_store(session, to, an_855(to), when=WHEN, document_id=None, order_id=None)
        second = emit_and_store(session, to, an_855(to), when=WHEN)
    with sessions() as session:
        one, two = row(session, first), row(session, second)
        assert (one.status, one.errors, two.status) == (OutboxStatus.PENDING, [], OutboxStatus.PENDING)
        assert (one.interchange_control_number, two.interchange_control_number) == (1, 2)
        assert (one.group_control_number, two.group_control_number) == (1, 2)
        assert one.kind == "855" and one.partner == to.name and one.created_at == WHEN.replace(tzinfo=None)
        assert one.ack_window_seconds == two.ack_window_seconds == 6 * 3600
        assert one.ack_due_at is None, "due once it is sent"
        counter = session.get(storage.ControlCounter, (to.name, "ISA"))
        assert counter is not None and counter.last_value == 2


def test_a_document_pyx12_refuses_is_kept_invalid_and_its_numbers_stay_spent(
    sessions: sessionmaker[Session],
) -> None:
    to = partner()
    with sessions() as session, session.begin():
        bad = emit_and_store(session, to, broken(an_855(to)), when=WHEN)
        good = emit_and_store(session, to, an_855(to), when=WHEN)
    with sessions() as session:
        refused, after = row(session, bad), row(session, good)
        assert refused.status == OutboxStatus.INVALID and any("BAK" in e for e in refused.errors), (
            refused.errors
        )
        assert refused.ack_window_seconds is None, "a document that never leaves is never due an answer"
        assert refused.interchange_control_number == 1 and after.interchange_control_number == 2
        assert after.status == OutboxStatus.PENDING


def test_hold_keeps_a_checked_document_for_a_person_and_invalid_wins(sessions: sessionmaker[Session]) -> None:
    to = partner()
    why = ["unit price 5.00 is off the order's 4.40"]
    with sessions() as session, session.begin():
        held = emit_and_store(session, to, an_855(to), when=WHEN, hold=why)
        both = emit_and_store(session, to, broken(an_855(to)), when=WHEN, hold=why)
    with sessions() as session:
        assert (row(session, held).status, row(session, held).errors) == (OutboxStatus.HELD, why)
        assert row(session, held).ack_window_seconds == 6 * 3600
        assert row(session, both).status == OutboxStatus.INVALID and row(session, both).errors[-1] == why[0]


def test_an_acknowledgment_of_ours_is_not_waiting_for_an_answer(sessions: sessionmaker[Session]) -> None:
    to = partner()
    with sessions() as session, session.begin():
        document, _ = storage.store_document(
            session, io.BytesIO(b"ISA*00*..."), channel="file", filename=None, received_at=WHEN
        )
        stored = document.id
        ack = emit_and_store(
            session,
            to,
            lambda numbers: x12_997.emit(receipt(), to, numbers=numbers, when=WHEN),
            when=WHEN,
            document_id=stored,
        )
    with sessions() as session:
        found = row(session, ack)
        assert (found.kind, found.status, found.document_id) == ("997", OutboxStatus.PENDING, stored)
        assert found.ack_window_seconds is None and found.refers_to == "ISA13 000001001"


def test_an_emitter_that_fails_stores_nothing_and_its_numbers_roll_back_with_the_caller(
    sessions: sessionmaker[Session],
) -> None:
    to = partner()

    def refuses(numbers: ControlNumberSource) -> OutboundDocument:
        numbers.next("ISA")
        raise ValueError("the emitter refused the document")

    with pytest.raises(ValueError, match="refused"), sessions() as session, session.begin():
        emit_and_store(session, to, refuses, when=WHEN)
    with sessions() as session, session.begin():
        assert session.scalar(select(func.count()).select_from(storage.OutboundRecord)) == 0
        again = emit_and_store(session, to, an_855(to), when=WHEN)
    with sessions() as session:
        assert row(session, again).interchange_control_number == 1


def test_a_profile_without_its_own_window_is_due_the_environment_window(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overdue-997 window comes from the profile when it sets ``ack_window_hours``, else from
    ``GATEWAY_ALERT_ACK_WINDOW_HOURS`` (24 when unset)."""
    plain = profile()
    assert "ack_window_hours" not in plain.model_fields_set
    with sessions() as session, session.begin():
        default = emit_and_store(session, plain, an_855(plain), when=WHEN)
    monkeypatch.setenv("GATEWAY_ALERT_ACK_WINDOW_HOURS", "48")
    own = partner()
    with sessions() as session, session.begin():
        configured = emit_and_store(session, plain, an_855(plain), when=WHEN)
        profiles_own = emit_and_store(session, own, an_855(own), when=WHEN)
    with sessions() as session:
        assert row(session, default).ack_window_seconds == 24 * 3600
        assert row(session, configured).ack_window_seconds == 48 * 3600
        assert row(session, profiles_own).ack_window_seconds == 6 * 3600, "the profile's own window wins"
