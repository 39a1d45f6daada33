"""Validation throughput against 100,000 SKUs and 1,000 customers: orders/s and peak RSS.

The same generated orders are validated twice: with every line known (exact lookups, contract
prices, stock, credit), and with 20% of the lines carrying a mistyped SKU and a reworded
description, so each of those asks for fuzzy suggestions. The in-process baseline is
rapidfuzz used out of the box on the same unknown lines (``process.extract`` with its default
WRatio scorer and preprocessing, over SKUs and descriptions): the ratio shows what the
prepared keys buy.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rapidfuzz import process
from stdnum import ean

import validators
from bench._markdown import Headline
from bench._markdown import table
from bench._memory import peak_rss_mb
from gateway.model.order import Channel
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from gateway.model.order import Quantity
from validators._pricing import agreed_price

SKUS = 100_000
CUSTOMERS = 1_000
LINES_PER_ORDER = 5
UNKNOWN_SHARE = 0.2
TODAY = date(2026, 11, 23)
WORDS = {
    "family": ["WIDGET", "BOLT HEX", "NUT HEX", "WASHER FLAT", "SHELF", "CABLE TIE", "DRILL BIT", "SCREW WOOD",
               "HINGE BUTT", "GLOVE NITRILE", "ANCHOR WALL", "TAPE", "BRACKET", "CLAMP", "HOOK", "CHAIN"],
    "a": ["BLUE", "RED", "GREEN", "BLACK", "WHITE", "ZINC", "BRASS", "STEEL", "NYLON", "STAINLESS", "M4", "M5",
          "M6", "M8", "M10", "M12"],
    "b": ["6MM", "8MM", "10MM", "12MM", "16MM", "20MM", "25MM", "40MM", "50MM", "100MM", "150MM", "300MM"],
    "grade": ["", "HD", "PRO", "ECO", "XL", "MINI", "BULK", "PACK5", "PACK10"],
}  # fmt: skip


@dataclass(slots=True)
class Result:
    orders: int
    skus: int
    customers: int
    known_seconds: float
    fuzzy_seconds: float
    unknown_lines: int
    fuzzy_hits: int
    baseline_ms_per_line: float
    ours_ms_per_line: float
    peak_rss_mb: float

    def lines(self) -> list[str]:
        known = self.orders / self.known_seconds
        fuzzy = self.orders / self.fuzzy_seconds
        return [
            f"validation: {self.orders:,} orders x {LINES_PER_ORDER} lines, {self.skus:,} SKUs, "
            f"{self.customers:,} customers",
            f"  all lines known: {known:,.0f} orders/s ({self.known_seconds:.1f} s)",
            f"  {UNKNOWN_SHARE:.0%} unknown lines ({self.unknown_lines:,}): {fuzzy:,.0f} orders/s "
            f"({self.fuzzy_seconds:.1f} s); the intended SKU first in {self.fuzzy_hits / self.unknown_lines:.1%}",
            f"  suggestions: {self.ours_ms_per_line:.1f} ms per unknown line vs rapidfuzz out of the box "
            f"{self.baseline_ms_per_line:.1f} ms: {self.baseline_ms_per_line / self.ours_ms_per_line:.1f}x",
            f"  peak RSS: {self.peak_rss_mb:.0f} MB",
        ]

    @property
    def speedup(self) -> float:
        """How many times faster our suggestions are than rapidfuzz out of the box."""
        return self.baseline_ms_per_line / self.ours_ms_per_line

    def markdown(self) -> str:
        runs = [
            ["all lines known", f"{self.known_seconds:.1f}", f"{self.orders / self.known_seconds:,.0f}"],
            [
                f"{UNKNOWN_SHARE:.0%} unknown lines ({self.unknown_lines:,})",
                f"{self.fuzzy_seconds:.1f}",
                f"{self.orders / self.fuzzy_seconds:,.0f}",
            ],
        ]
        suggestions = [
            ["gateway suggestions (prepared keys)", f"{self.ours_ms_per_line:.1f}"],
            ["rapidfuzz `process.extract` out of the box", f"{self.baseline_ms_per_line:.1f}"],
        ]
        return "\n\n".join(
            [
                f"{self.orders:,} orders x {LINES_PER_ORDER} lines against {self.skus:,} SKUs and "
                f"{self.customers:,} customers.",
                table(["orders", "seconds", "orders/s"], runs),
                table(["per unknown line", "ms"], suggestions),
                f"Ratio rapidfuzz / gateway: **{self.speedup:.1f}x**. The intended SKU ranked first for "
                f"{self.fuzzy_hits / self.unknown_lines:.1%} of the unknown lines. "
                f"Peak RSS: {self.peak_rss_mb:.0f} MB.",
            ]
        )

    def headlines(self) -> list[Headline]:
        return [
            Headline("validation, all lines known", f"{self.orders / self.known_seconds:,.0f} orders/s"),
            Headline(
                "suggestions per unknown line",
                f"{self.ours_ms_per_line:.1f} ms",
                f"{self.speedup:.1f}x",
                f"rapidfuzz out of the box, {self.baseline_ms_per_line:.1f} ms",
            ),
        ]


def catalog(
    rng: random.Random, skus: int = SKUS, customer_count: int = CUSTOMERS
) -> tuple[validators.MasterData, dict[str, validators.Customer]]:
    products = []
    for number in range(skus):
        words = [
            rng.choice(WORDS["family"]),
            rng.choice(WORDS["a"]),
            rng.choice(WORDS["b"]),
            rng.choice(WORDS["grade"]),
        ]
        body = f"08{number:09d}"
        products.append(
            validators.Product(
                f"NW-{number:06d}", " ".join(w for w in words if w), body + ean.calc_check_digit(body), "EA",
                Decimal(1), Decimal(rng.randint(25, 25000)) / 100, "USD",
            )
        )  # fmt: skip
    customers = {
        f"C{n:04d}": validators.Customer(f"C{n:04d}", f"Customer {n}", Decimal(10**9), Decimal(0), "USD")
        for n in range(customer_count)
    }
    prices: list[validators.PriceRule] = []
    xref: list[tuple[str, str, str]] = []
    ship_tos: list[tuple[str, str]] = []
    for account in customers:
        for sku in rng.sample(range(skus), 50):
            list_price = products[sku].list_price
            prices.append(
                validators.PriceRule(f"NW-{sku:06d}", account, Decimal(1), list_price * Decimal("0.9"), "USD")
            )
            prices.append(
                validators.PriceRule(
                    f"NW-{sku:06d}", account, Decimal(48), list_price * Decimal("0.85"), "USD"
                )
            )
        xref.extend((account, f"{account}-P{i}", f"NW-{rng.randrange(skus):06d}") for i in range(20))
        ship_tos.extend((account, code) for code in ("DC1", "DC2"))
    return validators.MasterData(products, xref, prices, ship_tos), customers


def mistype(sku: str, rng: random.Random) -> str:
    body = list(sku)
    position = rng.randrange(3, len(body))
    body[position] = {"0": "O", "1": "I", "5": "S", "8": "B"}.get(body[position], rng.choice("0123456789"))
    return "".join(body)


def reword(description: str, rng: random.Random) -> str:
    words = description.lower().split()
    rng.shuffle(words)
    return " ".join(words)


def orders(
    master: validators.MasterData,
    customers: dict[str, validators.Customer],
    count: int,
    unknown: float,
    seed: int,
) -> list[tuple[Order, str, dict[str, str]]]:
    """(order, customer, {line_no: the SKU a mistyped line meant}); prices are the agreed ones."""
    rng = random.Random(seed)
    accounts = list(customers)
    skus = list(master.products)
    policy = validators.ValidationPolicy()
    work = []
    for n in range(count):
        account = rng.choice(accounts)
        context = validators.ValidationContext(master, policy, TODAY, account, customers[account])
        lines = []
        meant: dict[str, str] = {}
        for line_no in map(str, range(1, LINES_PER_ORDER + 1)):
            product = master.products[rng.choice(skus)]
            quantity = Decimal(rng.randint(1, 60))
            price, _, _ = agreed_price(context, product, quantity, TODAY)
            sku, description = product.sku, product.description
            if rng.random() < unknown:
                sku, description, meant[line_no] = mistype(sku, rng), reword(description, rng), product.sku
            lines.append(
                OrderLine(
                    line_no=line_no, vendor_sku=sku, description=description,
                    quantity=Quantity(value=quantity, uom="EA"), unit_price=price,
                )
            )  # fmt: skip
        order = Order(
            partner="bench", channel=Channel.X12, po_number=f"PO{n}", po_date=TODAY, currency="USD",
            parties=[Party(role="ST", id="DC1")], lines=lines,
        )  # fmt: skip
        work.append((order, account, meant))
    return work


class _Plenty(Mapping[str, Decimal]):
    """Stock is not what this benchmark measures: every SKU has plenty."""

    def __getitem__(self, sku: str) -> Decimal:
        return Decimal(10**6)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _timed(
    master: validators.MasterData,
    customers: dict[str, validators.Customer],
    work: list[tuple[Order, str, dict[str, str]]],
) -> tuple[float, int, int]:
    """Seconds to validate ``work``, unknown-item findings, and how many ranked the meant SKU first."""
    policy = validators.ValidationPolicy()
    stock = _Plenty()
    unknown = hits = 0
    started = time.perf_counter()
    for order, account, meant in work:
        context = validators.ValidationContext(
            master, policy, TODAY, account, customers[account], available=stock
        )
        for finding in validators.validate(order, context).findings:
            if finding.code == validators.FindingCode.UNKNOWN_ITEM:
                unknown += 1
                top = finding.suggestions[0].sku if finding.suggestions else None
                hits += top is not None and top == meant.get(finding.line_no or "")
    return time.perf_counter() - started, unknown, hits


def run(count: int = 20_000, skus: int = SKUS, customer_count: int = CUSTOMERS) -> Result:
    master, customers = catalog(random.Random(7), skus, customer_count)
    master.suggestions  # noqa: B018 - build the index outside the timing
    known_seconds, _, _ = _timed(master, customers, orders(master, customers, count, 0.0, seed=1))
    fuzzy_work = orders(master, customers, count, UNKNOWN_SHARE, seed=1)
    fuzzy_seconds, unknown, hits = _timed(master, customers, fuzzy_work)
    baseline_ms = _baseline_ms(master, fuzzy_work)
    extra_ms = max(fuzzy_seconds - known_seconds, 1e-9) * 1000 / max(unknown, 1)
    return Result(
        count, skus, customer_count, known_seconds, fuzzy_seconds, unknown, hits, baseline_ms, extra_ms,
        peak_rss_mb(),
    )  # fmt: skip


def _baseline_ms(
    master: validators.MasterData, work: list[tuple[Order, str, dict[str, str]]], sample: int = 20
) -> float:
    skus = list(master.products)
    descriptions = [p.description for p in master.products.values()]
    lines = [
        line for order, _, _ in work for line in order.lines if master.product(line.vendor_sku or "") is None
    ]
    lines = lines[:sample]
    started = time.perf_counter()
    for line in lines:
        process.extract(line.vendor_sku, skus, limit=3)
        process.extract(line.description, descriptions, limit=3)
    return (time.perf_counter() - started) * 1000 / max(len(lines), 1)
