"""The one rule for which HTTP answers are worth sending a request again for."""

from __future__ import annotations

import pytest

from gateway.outbound.http_status import worth_retrying


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 599])
def test_a_timeout_too_early_too_many_or_a_server_error_is_worth_retrying(status: int) -> None:
    assert worth_retrying(status)


@pytest.mark.parametrize("status", [200, 301, 400, 401, 403, 404, 409, 410, 422, 499])
def test_success_or_any_other_client_error_is_not(status: int) -> None:
    assert not worth_retrying(status)
