"""Findings: the stable, structured verdicts that the queue, the 855 and ``ingest --json`` read."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field


class FindingCode(StrEnum):
    """The contract of issue 4: never rename one; add new ones at the end."""

    UNKNOWN_ITEM = "unknown_item"
    PRICE_MISMATCH = "price_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    CREDIT_LIMIT = "credit_limit"
    CREDIT_HOLD = "credit_hold"
    SHORT_STOCK = "short_stock"
    DUPLICATE_PO = "duplicate_po"
    BELOW_MINIMUM = "below_minimum"
    PACK_MULTIPLE = "pack_multiple"
    DATE_PAST = "date_past"
    DATE_HORIZON = "date_horizon"
    UNKNOWN_SHIP_TO = "unknown_ship_to"
    UNKNOWN_ORDER_REF = "unknown_order_ref"
    MISSING_FIELD = "missing_field"
    LOW_CONFIDENCE = "low_confidence"
    UNKNOWN_PARTNER = "unknown_partner"
    SYNTAX = "syntax"
    CHANGE_AFTER_SHIPMENT = "change_after_shipment"  # a partner's change to an order shipped or invoiced
    ORDER_CHANGED = "order_changed"  # a partner's change held for the desk: what it changed
    PURPOSE_NOT_HANDLED = "purpose_not_handled"  # BEG01 asks for no order to be filled (a copy, a query...)


Action = Literal["auto_fix", "warn", "hold", "reject"]
Severity = Literal["info", "warning", "error"]

SEVERITY_OF: dict[Action, Severity] = {
    "auto_fix": "info",
    "warn": "warning",
    "hold": "error",
    "reject": "error",
}


def code_for_parse_issue(reason: str) -> FindingCode:
    """The stable code for a parser's own issue code (``x12.*``, ``pdf.*``, ``partner.unknown``...)."""
    if reason == "partner.unknown":
        return FindingCode.UNKNOWN_PARTNER
    if reason.endswith("low_confidence"):
        return FindingCode.LOW_CONFIDENCE
    return FindingCode.SYNTAX


class Suggestion(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)

    sku: str
    score: float
    matched: str = Field(description="the catalog value that matched: a SKU, customer part or description")


class Finding(BaseModel):
    """One verdict about an order or one of its lines, with the action the partner's policy chose."""

    model_config = ConfigDict(defer_build=True)

    code: FindingCode
    action: Action
    message: str
    line_no: str | None = None
    field: str | None = None
    expected: str | None = None
    received: str | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return SEVERITY_OF[self.action]
