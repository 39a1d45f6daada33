"""Each validation rule at its boundaries, on a small in-memory catalog."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

import validators
from gateway.model.order import Channel
from gateway.model.order import DatedEvent
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import OrderPurpose
from gateway.model.order import Party
from gateway.model.order import Quantity
from gateway.model.order import StoreQuantity
from validators import Customer
from validators import FindingCode
from validators import MasterData
from validators import PriceRule
from validators import Product
from validators import ValidationContext
from validators import ValidationPolicy

TODAY = date(2026, 11, 23)
D = Decimal

MASTER = MasterData(
    [
        Product("SKU-100", "WIDGET BLUE 10 MM", "012345678905", "EA", D(12), D("4.50"), "USD"),
        Product("SKU-200", "BOLT M8X40 ZINC", "00614141000418", "EA", D(1), D("0.80"), "USD"),
        Product("SKU-300", "HEX KEY SET METRIC", None, "CA", D(6), D("60.00"), "USD"),
        Product("SKU-400", "SHELF BRACKET STEEL", None, "EA", D(1), D("10.00"), "EUR"),
    ],
    xref=[("C1", "AC-778", "SKU-100")],
    prices=[
        PriceRule("SKU-100", "C1", D(1), D("4.40"), "USD", date(2026, 1, 1), date(2026, 12, 31), id=1),
        PriceRule("SKU-100", "C1", D(120), D("4.10"), "USD", date(2026, 1, 1), date(2026, 12, 31), id=2),
        PriceRule("SKU-100", "GOLD", D(1), D("4.30"), "USD", id=3),
        PriceRule("SKU-200", None, D(1), D("0.75"), "USD", id=4),
    ],
    ship_tos=[("C1", "DC12"), ("C1", "0101")],
)
CUSTOMER = Customer("C1", "Acme", credit_limit=D("1000.00"), open_ar=D("500.00"), currency="USD")


def line(
    sku: str | None = "SKU-100",
    qty: str = "24",
    uom: str | None = "EA",
    price: str | None = "4.40",
    **kw: Any,
) -> OrderLine:
    return OrderLine(
        line_no=kw.pop("line_no", "1"),
        vendor_sku=sku,
        quantity=Quantity(value=D(qty), uom=uom),
        unit_price=None if price is None else D(price),
        **kw,
    )


def order(*lines: OrderLine, **kw: Any) -> Order:
    values: dict[str, Any] = {
        "partner": "acme",
        "channel": Channel.X12,
        "po_number": "PO-1",
        "po_date": TODAY,
        "currency": "USD",
        "parties": [Party(role="ST", id="DC12")],
        "lines": list(lines) or [line()],
    }
    values.update(kw)
    return Order(**values)


def context(policy: dict[str, Any] | None = None, **kw: Any) -> ValidationContext:
    values: dict[str, Any] = {
        "master": MASTER,
        "policy": ValidationPolicy.model_validate(policy or {}),
        "today": TODAY,
        "customer_account": "C1",
        "customer": CUSTOMER,
        "available": {"SKU-100": D(1000), "SKU-200": D(1000), "SKU-300": D(1000), "SKU-400": D(1000)},
    }
    values.update(kw)
    return ValidationContext(**values)


def codes(result: validators.ValidationResult) -> list[str]:
    return [f.code.value for f in result.findings]


def test_clean_order_is_accepted_with_its_total() -> None:
    result = validators.validate(order(), context())
    assert result.findings == [] and result.outcome == "accepted"
    assert result.total == D("105.60") and result.allocations == {"SKU-100": D(24)}
    assert result.order.lines[0].sku == "SKU-100"


def test_the_order_validated_is_left_as_it_was_whatever_the_rules_change() -> None:
    """validate works on a copy of the order and of each line (not a deep copy): the price auto-fix,
    the pack rounding, the short-stock cut and the resolved SKU change the result's lines only."""
    given = order(
        line(sku=None, buyer_part="AC-778", qty="25", price="4.90"),
        line(sku="SKU-200", qty="2000", price="0.75", line_no="2"),
    )
    before = given.model_copy(deep=True)
    policy = {
        "actions": {"price_mismatch": "auto_fix", "pack_multiple": "auto_fix"},
        "short_stock": "partial",
    }
    result = validators.validate(given, context(policy, available={"SKU-100": D(1000), "SKU-200": D(10)}))
    assert result.order.lines[0].sku == "SKU-100" and result.order.lines != before.lines
    assert given == before
    assert given.lines[0].provenance is not None and result.order.lines[0] is not given.lines[0]


# Item identity


@pytest.mark.parametrize(
    "fields",
    [
        {"sku": "sku-100"},
        {"sku": None, "buyer_part": "ac-778"},
        {"sku": None, "upc": "012345678905"},
        {"sku": None, "upc": "0012345678905"},
        {"sku": "UNKNOWN", "buyer_part": "AC-778"},
    ],
)
def test_a_line_resolves_by_sku_customer_part_or_gtin(fields: dict[str, Any]) -> None:
    result = validators.validate(order(line(**fields)), context())
    assert codes(result) == [] and result.order.lines[0].sku == "SKU-100"


def test_a_upc_with_a_wrong_check_digit_is_not_matched() -> None:
    result = validators.validate(order(line(sku=None, upc="012345678906")), context())
    [finding] = result.findings
    assert finding.code == FindingCode.UNKNOWN_ITEM and "check digit" in finding.message


def test_unknown_sku_suggests_the_near_miss_first() -> None:
    result = validators.validate(order(line(sku="SKU-1O0")), context())
    [finding] = result.findings
    assert finding.code == FindingCode.UNKNOWN_ITEM and finding.action == "hold"
    assert finding.suggestions[0].sku == "SKU-100" and 80 <= finding.suggestions[0].score < 100
    assert len(finding.suggestions) <= 3 and finding.received == "SKU-1O0"
    assert result.outcome == "exception" and result.order.lines[0].vendor_sku == "SKU-1O0"


def test_a_description_in_another_word_order_scores_full_marks() -> None:
    result = validators.validate(order(line(sku=None, description="Blue widget 10mm")), context())
    [finding] = result.findings
    assert (finding.suggestions[0].sku, finding.suggestions[0].score) == ("SKU-100", 100.0)


def test_a_suggestion_is_applied_only_at_or_above_the_stated_score() -> None:
    policy = {"actions": {"unknown_item": "auto_fix"}, "auto_fix_score": 83.3}
    fixed = validators.validate(order(line(sku="SKU-1O0")), context(policy))
    [finding] = fixed.findings
    assert finding.action == "auto_fix" and finding.expected == "SKU-100"
    assert fixed.outcome == "accepted" and fixed.order.lines[0].sku == "SKU-100"
    strict = {"actions": {"unknown_item": "auto_fix"}, "auto_fix_score": 83.4}
    held = validators.validate(order(line(sku="SKU-1O0")), context(strict))
    assert held.findings[0].action == "hold" and held.outcome == "exception"


# Price agreement


@pytest.mark.parametrize(
    ("qty", "price", "found"),
    [("119", "4.40", []), ("120", "4.10", []), ("120", "4.40", ["price_mismatch"])],
)
def test_quantity_breaks_apply_from_their_minimum(qty: str, price: str, found: list[str]) -> None:
    big = Customer("C1", "Acme", D("100000"), D(0), "USD")
    result = validators.validate(order(line(qty=qty, price=price)), context(customer=big))
    assert [c for c in codes(result) if c != "pack_multiple"] == found  # 119 is no pack multiple


def test_a_contract_outside_its_dates_falls_back_to_the_group_then_the_list() -> None:
    new_year = date(2027, 1, 1)
    grouped = Customer("C1", "Acme", D("1000"), D(0), "USD", group="GOLD")
    result = validators.validate(order(line(price="4.30"), po_date=new_year), context(customer=grouped))
    assert codes(result) == []
    result = validators.validate(order(line(price="4.30"), po_date=new_year), context())
    [finding] = result.findings
    assert finding.expected == "4.50" and finding.received == "4.30"
    assert finding.details["agreement"] == "list price of SKU-100"
    on_last_day = validators.validate(order(line(price="4.40"), po_date=date(2026, 12, 31)), context())
    assert codes(on_last_day) == []


def test_price_list_rows_without_a_customer_beat_the_product_list_price() -> None:
    result = validators.validate(order(line(sku="SKU-200", qty="10", price="0.80")), context())
    [finding] = result.findings
    assert finding.expected == "0.75" and "price list" in finding.message


def test_a_case_is_priced_as_its_units() -> None:
    result = validators.validate(order(line(qty="2", uom="CA", price="52.80")), context())
    assert codes(result) == [] and result.allocations == {"SKU-100": D(24)}
    wrong = validators.validate(order(line(qty="2", uom="CA", price="4.40")), context())
    assert wrong.findings[0].expected == "52.80"


@pytest.mark.parametrize(
    ("tolerance", "price", "found"),
    [
        ({"absolute": "0.05"}, "4.45", []),
        ({"absolute": "0.05"}, "4.46", ["price_mismatch"]),
        ({"percent": "1"}, "4.444", []),
        ({"percent": "1"}, "4.35", ["price_mismatch"]),
        ({}, "4.41", ["price_mismatch"]),
    ],
)
def test_price_tolerance_boundaries(tolerance: dict[str, str], price: str, found: list[str]) -> None:
    result = validators.validate(order(line(price=price)), context({"price_tolerance": tolerance}))
    assert codes(result) == found


def test_price_auto_fix_records_the_change() -> None:
    result = validators.validate(
        order(line(price="5.00")), context({"actions": {"price_mismatch": "auto_fix"}})
    )
    [finding] = result.findings
    assert finding.action == "auto_fix" and (finding.expected, finding.received) == ("4.40", "5.00")
    assert result.order.lines[0].unit_price == D("4.4") and result.outcome == "accepted"


@pytest.mark.parametrize(
    ("policy", "outcome"), [({}, ""), ({"actions": {"price_mismatch": "auto_fix"}}, "; corrected to 4.40")]
)
def test_a_price_finding_says_both_prices_as_money(policy: dict[str, Any], outcome: str) -> None:
    """The message and the expected/received fields quote the same money figures (written once)."""
    [finding] = validators.validate(order(line(price="5.00")), context(policy)).findings
    agreement = "contract price for C1, SKU-100 from 1, valid 2026-01-01 to 2026-12-31"
    assert finding.message == f"line 1: unit price 5.00/EA but the {agreement} gives 4.40/EA{outcome}"
    assert (finding.field, finding.expected, finding.received) == ("unit_price", "4.40", "5.00")
    assert finding.details == {"agreement": agreement, "agreement_id": 1}


def test_currency_must_match() -> None:
    result = validators.validate(order(line(sku="SKU-400", qty="1", price="10")), context())
    assert codes(result) == ["currency_mismatch"]
    result = validators.validate(order(currency="EUR"), context())
    assert "currency_mismatch" in codes(result)


# Credit


@pytest.mark.parametrize(("open_orders", "found"), [("394.40", []), ("394.41", ["credit_limit"])])
def test_credit_limit_boundary(open_orders: str, found: list[str]) -> None:
    result = validators.validate(order(), context(open_orders=D(open_orders)))
    assert codes(result) == found
    if found:
        assert result.findings[0].expected == "1000.00" and result.findings[0].received == "1000.01"


def test_an_account_on_hold_or_missing_is_a_credit_hold() -> None:
    held = Customer("C1", "Acme", D("1000"), D(0), "USD", on_hold=True)
    assert codes(validators.validate(order(), context(customer=held))) == ["credit_hold"]
    assert codes(validators.validate(order(), context(customer=None))) == ["credit_hold"]


# Stock


@pytest.mark.parametrize(
    ("policy", "action", "outcome", "qty_after"),
    [
        ("backorder", "warn", "accepted", "36"),
        ("partial", "auto_fix", "accepted", "35"),
        ("hold", "hold", "exception", "36"),
        ("reject", "reject", "rejected", "36"),
    ],
)
def test_short_stock_per_policy(policy: str, action: str, outcome: str, qty_after: str) -> None:
    available = {"SKU-100": D(35)}
    enough = validators.validate(order(line(qty="36")), context(available={"SKU-100": D(36)}))
    assert codes(enough) == []
    result = validators.validate(order(line(qty="36")), context({"short_stock": policy}, available=available))
    [finding] = result.findings
    assert (finding.code, finding.action, result.outcome) == (FindingCode.SHORT_STOCK, action, outcome)
    assert (finding.expected, finding.received) == ("35", "36")
    assert result.order.lines[0].quantity.value == D(qty_after)  # type: ignore[union-attr]


def test_two_lines_of_one_sku_share_its_stock() -> None:
    two = order(line(qty="24"), line(qty="24", line_no="2"))
    result = validators.validate(two, context(available={"SKU-100": D(30)}))
    assert [(f.code, f.line_no) for f in result.findings] == [(FindingCode.SHORT_STOCK, "2")]


# Order rules


def test_duplicate_po_and_dangling_change_or_cancel() -> None:
    assert codes(validators.validate(order(), context(po_seen=True))) == ["duplicate_po"]
    change = order(purpose=OrderPurpose.CHANGE)
    assert codes(validators.validate(change, context())) == ["unknown_order_ref"]
    assert codes(validators.validate(change, context(po_seen=True))) == []
    cancel = order(purpose=OrderPurpose.CANCEL, lines=[])
    assert codes(validators.validate(cancel, context())) == ["unknown_order_ref"]
    assert codes(validators.validate(cancel, context(po_seen=True))) == []


@pytest.mark.parametrize(("minimum", "found"), [("105.60", []), ("105.61", ["below_minimum"])])
def test_minimum_order_value_boundary(minimum: str, found: list[str]) -> None:
    assert codes(validators.validate(order(), context({"minimum_order_value": minimum}))) == found


def test_pack_multiples() -> None:
    result = validators.validate(order(line(qty="30")), context())
    [finding] = result.findings
    assert finding.code == FindingCode.PACK_MULTIPLE and (finding.expected, finding.received) == ("36", "30")
    fixed = validators.validate(order(line(qty="30")), context({"actions": {"pack_multiple": "auto_fix"}}))
    assert fixed.outcome == "accepted" and fixed.order.lines[0].quantity.value == D(36)  # type: ignore[union-attr]
    assert codes(validators.validate(order(line(qty="1", uom="DZ", price="52.80")), context())) == []
    unconvertible = validators.validate(order(line(qty="1", uom="KG")), context())
    assert codes(unconvertible) == ["pack_multiple"] and unconvertible.findings[0].field == "uom"
    unitless = validators.validate(order(line(qty="30", uom=None)), context())
    [pack] = [f for f in unitless.findings if f.code == FindingCode.PACK_MULTIPLE]
    assert "30 EA of SKU-100" in pack.message  # no unit printed: named in the catalog unit it is read in


@pytest.mark.parametrize(
    ("days", "found"), [(0, []), (-1, ["date_past"]), (180, []), (181, ["date_horizon"])]
)
def test_requested_date_window(days: int, found: list[str]) -> None:
    wanted = TODAY + timedelta(days=days)
    dated = order(dates=[DatedEvent(qualifier="002", value=wanted, raw=wanted.strftime("%Y%m%d"))])
    result = validators.validate(dated, context())
    assert codes(result) == found
    if found == ["date_horizon"]:
        assert result.findings[0].action == "warn" and result.outcome == "accepted"


def test_ship_to_and_stores_must_be_in_the_address_book() -> None:
    assert codes(validators.validate(order(parties=[Party(role="ST", id="DC99")]), context())) == [
        "unknown_ship_to"
    ]
    stores = [
        StoreQuantity(location_qualifier="92", location=code, quantity=D(12)) for code in ("0101", "0999")
    ]
    result = validators.validate(order(line(distribution=stores)), context())
    assert [(f.code, f.received) for f in result.findings] == [(FindingCode.UNKNOWN_SHIP_TO, "0999")]


def test_missing_required_fields() -> None:
    result = validators.validate(order(line(qty="0"), po_number=None), context())
    assert [(f.code, f.field) for f in result.findings][:2] == [
        (FindingCode.MISSING_FIELD, "po_number"),
        (FindingCode.MISSING_FIELD, "quantity"),
    ]
    strict = context({"required": ["po_number", "unit_price", "ship_to"]})
    assert [f.field for f in validators.validate(order(line(price=None), parties=[]), strict).findings] == [
        "ship_to",
        "unit_price",
    ]


def test_a_missing_po_date_or_unit_price_is_never_silent() -> None:
    """Not required, they still get a finding: a warning by default, a hold when the policy says so."""
    bare = order(line(price=None), po_date=None)
    warned = validators.validate(bare, context())
    missing = [(f.field, f.line_no, f.action) for f in warned.findings if f.code == FindingCode.MISSING_FIELD]
    assert missing == [("po_date", None, "warn"), ("unit_price", "1", "warn")]
    assert warned.outcome == "accepted"
    held = validators.validate(bare, context({"missing": "hold"}))
    assert {f.action for f in held.findings if f.code == FindingCode.MISSING_FIELD} == {"hold"}
    assert held.outcome != "accepted"
    assert validators.validate(order(), context()).findings == []


def test_a_line_without_a_unit_is_read_in_the_catalog_unit_and_said_so() -> None:
    """A sheet that states no unit leaves it None: validation reads the catalog unit, with a finding."""
    result = validators.validate(order(line(uom=None)), context())
    [finding] = result.findings
    assert (finding.code, finding.field, finding.line_no, finding.action) == (
        FindingCode.MISSING_FIELD,
        "uom",
        "1",
        "warn",
    )
    assert "catalog unit EA" in finding.message and result.total == D("105.60")
    assert result.order.lines[0].quantity is not None and result.order.lines[0].quantity.uom is None
    strict = validators.validate(order(line(uom=None)), context({"required": ["uom"]}))
    assert [(f.field, f.action) for f in strict.findings] == [("uom", "hold")]
    # A case pack ordered without a unit is checked against the pack as if in the catalog unit.
    packs = validators.validate(order(line(sku="SKU-300", qty="6", uom=None, price="60.00")), context())
    assert [f.field for f in packs.findings] == ["uom"]


# Policy


@pytest.mark.parametrize(
    "policy",
    [
        {"actions": {"credit_limit": "auto_fix"}},
        {"actions": {"unknown_item": "auto_fix"}},
        {"actions": {"short_stock": "hold"}},
        {"actions": {"no_such_code": "hold"}},
    ],
)
def test_an_incoherent_policy_is_refused(policy: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ValidationPolicy.model_validate(policy)


def test_a_reject_action_rejects_the_order() -> None:
    result = validators.validate(order(), context({"actions": {"credit_hold": "reject"}}, customer=None))
    assert result.outcome == "rejected" and result.findings[0].severity == "error"


def test_the_gtin_index_is_built_when_a_line_first_names_a_upc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking every catalog UPC's digits costs a command's start-up; orders by SKU never need it."""
    from validators import _master

    checked: list[str] = []
    real = _master.gtin14

    def counting(code: str) -> str | None:
        checked.append(code)
        return real(code)

    monkeypatch.setattr(_master, "gtin14", counting)
    upcs = ["12345", "036000291452", "0", "4006381333931", "99"]  # two real ones: a UPC-A, an EAN-13
    products = [
        _master.Product(f"SKU-{n}", "widget", upc, "EA", Decimal(1), Decimal(1), "USD")
        for n, upc in enumerate(upcs)
    ]
    master = _master.MasterData(products)
    assert master.product("SKU-1") is products[1] and checked == []
    assert master.by_gtin("36000291452") is None  # 11 digits: not a GTIN
    assert master.by_gtin("00036000291452") is products[1]
    assert len(checked) == 2 + len(products)  # each code asked for, and the catalog's UPCs once
    assert master.by_gtin("4006381333931") is products[3]
    assert len(checked) == 3 + len(products)
