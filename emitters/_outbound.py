"""The value every emitter returns, and the control-number source emitters draw from."""

from __future__ import annotations

from typing import Any
from typing import Protocol

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field


class ControlNumberSource(Protocol):
    """Hands out the next control number of a kind ("ISA", "GS" or "ST") for one partner."""

    def next(self, kind: str) -> int: ...


class OutboundDocument(BaseModel):
    model_config = ConfigDict(defer_build=True)
    kind: str
    partner: str
    content: bytes
    interchange_control_number: int | None = None
    group_control_number: int | None = None
    transaction_control_numbers: list[int] = Field(default_factory=list)
    refers_to: str | None = None
    request: dict[str, Any] | None = None
    """An ERP payload's HTTP request when it is not a POST of ``content`` to the configured URL:
    ``method``, ``path`` (appended to that URL; ``{id}`` is the ERP's own id of the order) and
    ``find``: how that id is looked up first, either an OData ``$filter`` (Business Central: the id and
    its ETag) or a look-up (``emitters._erp.find_one``); ``headers``, ``fill``, ``replace_lines`` and
    ``operation`` say what the look-up's record adds to the request (``gateway.outbound.erp_http``)."""
