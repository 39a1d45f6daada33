"""The one rule for which HTTP answers are worth sending a request again for."""

from __future__ import annotations

import pytest

from gateway.outbound.http_status import worth_retrying


@pytest.mark.parametrize(
    ("status", "again"),
    [(408, True), (425, True), (429, True), (500, True), (502, True), (503, True), (599, True)]
    + [(200, False), (301, False), (400, False), (401, False), (403, False), (404, False), (409, False)]
    + [(410, False), (422, False), (499, False)],
)
def test_worth_retrying(status: int, again: bool) -> None:
    assert worth_retrying(status) is again
