"""Deeply nested MIME: the stdlib parser recurses once per level, so a thousand levels of multipart
used to raise RecursionError inside the email reader (an internal error). Now such a message is
refused unread with ``email.too_complex``; nesting under the limit still reads.

"Unread" is counted, not timed (``tests.work``): the stdlib parser makes no message below the top
one, and the whole ingest stays within a few calls per byte of the message.
"""

from __future__ import annotations

import pytest

from gateway.inbound.pipeline import Pipeline
from parsers import nesting_refusal
from parsers._email import MAX_CONTAINERS
from tests.security import _hostile as hostile
from tests.security._stored import assert_refused
from tests.security._stored import ingest
from tests.security._stored import reasons
from tests.work import counted_calls


def calls_allowed(data: bytes) -> int:
    """Refusals here take 0.2 to 0.8 calls a byte (the headers are still read). Parsed, the same
    messages took 441,000 to 4.5 million calls, 1.2 to 63 a byte, before RecursionError."""
    return 50_000 + len(data) // 2


def _forwarded(depth: int) -> bytes:
    """A message attaching a message attaching a message... ``depth`` times."""
    inner = b"Content-Type: text/plain\r\n\r\n10 x NW-30555\r\n"
    for _ in range(depth):
        inner = b"Content-Type: message/rfc822\r\n\r\nSubject: Fwd\r\n" + inner
    return hostile.MAIL_HEADERS + inner


def _side_by_side(count: int) -> bytes:
    """One multipart holding ``count`` empty multiparts: breadth, not depth."""
    empty = b'Content-Type: multipart/alternative; boundary="e"\r\n\r\n--e\r\n\r\n--e--\r\n'
    parts = b"".join(b"--top\r\n" + empty for _ in range(count))
    return (
        hostile.MAIL_HEADERS
        + b'Content-Type: multipart/mixed; boundary="top"\r\n\r\n'
        + parts
        + b"--top--\r\n"
    )


@pytest.mark.parametrize(
    "data",
    [hostile.nested_mime(1000), hostile.nested_mime(50_000), _forwarded(5000), _side_by_side(MAX_CONTAINERS)],
    ids=[
        "1000-multiparts-deep",
        "50000-multiparts-deep",
        "5000-forwards-deep",
        "200-multiparts-side-by-side",
    ],
)
def test_thousands_of_nested_parts_are_refused_unread(store_pipeline: Pipeline, data: bytes) -> None:
    with counted_calls() as calls:
        document = ingest(store_pipeline, data, filename="nested.eml")
    assert calls.of("email/feedparser.py", "_new_message") <= 1  # no part below the top message
    assert calls.total < calls_allowed(data), calls.total
    assert_refused(document, "email.too_complex", says="(from orders@acme-retail.example)")
    assert f"more than {MAX_CONTAINERS} are refused unread" in (document.error or "")


def test_nesting_under_the_limit_is_read_to_the_order_at_its_bottom(store_pipeline: Pipeline) -> None:
    data = hostile.nested_mime(MAX_CONTAINERS - 1)
    assert nesting_refusal(data) is None
    document = ingest(store_pipeline, data, filename="deep-but-fine.eml")
    assert (document.status, document.error_code) == ("processed", None)


def test_attached_messages_past_the_depth_limit_are_said_not_read(store_pipeline: Pipeline) -> None:
    """Within the container limit, message/rfc822 nesting still stops at its own depth, saying so."""
    document = ingest(store_pipeline, _forwarded(20), filename="forwards.eml")
    assert document.error_code != "internal_error"
    assert "email.too_deep" in reasons(document)


def test_a_folded_content_type_header_is_counted_too() -> None:
    """Header folding and case do not hide a container from the count."""
    folded = b'Content-TYPE:\r\n  multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
    data = hostile.MAIL_HEADERS + folded * (MAX_CONTAINERS + 1)
    assert nesting_refusal(data) is not None
