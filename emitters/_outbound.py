"""The value every emitter returns, and the control-number source emitters draw from."""

from __future__ import annotations

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
    request: dict[str, str] | None = None
    """An ERP payload's HTTP request when it is not a POST of ``content`` to the configured URL:
    ``method``, ``path`` (appended to that URL; ``{id}`` is the ERP's own id of the order) and
    ``find`` (an OData ``$filter`` that finds that id and its ETag first)."""
