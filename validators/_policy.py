"""A partner's validation policy: tolerances, limits, and what each finding code does to the order."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

from ._findings import Action
from ._findings import FindingCode

StockPolicy = Literal["backorder", "partial", "hold", "reject"]
RequiredField = Literal["po_number", "po_date", "ship_to", "quantity", "unit_price", "item", "uom"]

AUTO_FIXABLE = frozenset({FindingCode.UNKNOWN_ITEM, FindingCode.PRICE_MISMATCH, FindingCode.PACK_MULTIPLE})

DEFAULT_ACTIONS: dict[FindingCode, Action] = {
    FindingCode.UNKNOWN_ITEM: "hold",
    FindingCode.PRICE_MISMATCH: "hold",
    FindingCode.CURRENCY_MISMATCH: "hold",
    FindingCode.CREDIT_LIMIT: "hold",
    FindingCode.CREDIT_HOLD: "hold",
    FindingCode.DUPLICATE_PO: "hold",
    FindingCode.BELOW_MINIMUM: "hold",
    FindingCode.PACK_MULTIPLE: "hold",
    FindingCode.DATE_PAST: "hold",
    FindingCode.DATE_HORIZON: "warn",
    FindingCode.UNKNOWN_SHIP_TO: "hold",
    FindingCode.UNKNOWN_ORDER_REF: "hold",
    FindingCode.PURPOSE_NOT_HANDLED: "hold",
    FindingCode.MISSING_FIELD: "hold",
}
# ``action`` runs for every finding: an enum member read from its class and an enum's hash are each a
# Python call in 3.11, so the defaults are looked up by the code's text and SHORT_STOCK is kept here.
_DEFAULT_BY_TEXT: dict[str, Action] = {code.value: action for code, action in DEFAULT_ACTIONS.items()}
_SHORT_STOCK = FindingCode.SHORT_STOCK
_STOCK_ACTIONS: dict[StockPolicy, Action] = {
    "backorder": "warn",
    "partial": "auto_fix",
    "hold": "hold",
    "reject": "reject",
}


class PriceTolerance(BaseModel):
    """A unit-price difference within either bound is accepted; beyond both it is a finding."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    absolute: Decimal = Field(default=Decimal("0.00"), ge=0)
    percent: Decimal = Field(default=Decimal("0"), ge=0)

    def allows(self, expected: Decimal, received: Decimal) -> bool:
        difference = abs(received - expected)
        return difference <= self.absolute or difference * 100 <= self.percent * abs(expected)

    def describe(self) -> str:
        """``none``, ``0.01``, ``2%`` or ``0.01 or 2%``: what a message quotes."""
        bounds = [f"{self.absolute.normalize():f}"] if self.absolute else []
        bounds += [f"{self.percent.normalize():f}%"] if self.percent else []
        return " or ".join(bounds) or "none"


class ValidationPolicy(BaseModel):
    """The ``[validation]`` table of a partner profile; every key has a sane default."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    actions: dict[FindingCode, Action] = Field(default_factory=dict)
    auto_fix_score: float | None = Field(default=None, ge=50, le=100)
    price_tolerance: PriceTolerance = Field(default_factory=PriceTolerance)
    minimum_order_value: Decimal | None = Field(default=None, ge=0)
    horizon_days: int = Field(default=180, ge=1)
    short_stock: StockPolicy = "backorder"
    required: list[RequiredField] = Field(
        default_factory=lambda: list[RequiredField](["po_number", "quantity", "item"])
    )
    missing: Literal["warn", "hold"] = "warn"  # a PO date or unit price absent though not required
    # the credit rules (credit_limit, credit_hold); a [channel] profile turns them off unless it says
    # otherwise: web-shop and marketplace orders are paid when placed
    credit: bool = True

    @model_validator(mode="after")
    def _coherent(self) -> ValidationPolicy:
        for code, action in self.actions.items():
            if code == FindingCode.SHORT_STOCK:
                raise ValueError("set short_stock = backorder|partial|hold|reject, not actions.short_stock")
            if action == "auto_fix" and code not in AUTO_FIXABLE:
                fixable = ", ".join(sorted(AUTO_FIXABLE))
                raise ValueError(f"{code} cannot be auto-fixed; only {fixable} can")
        if self.actions.get(FindingCode.UNKNOWN_ITEM) == "auto_fix" and self.auto_fix_score is None:
            raise ValueError("unknown_item = auto_fix needs auto_fix_score: the lowest score applied unasked")
        return self

    def action(self, code: FindingCode) -> Action:
        if code == _SHORT_STOCK:
            return _STOCK_ACTIONS[self.short_stock]
        chosen = self.actions.get(code) if self.actions else None
        return chosen or _DEFAULT_BY_TEXT.get(code._value_ if isinstance(code, FindingCode) else code, "hold")
