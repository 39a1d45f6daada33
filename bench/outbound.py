"""Outbound throughput: an 856 ASN and an 810 invoice for each of 10,000 shipments, pyx12 included.

The shipments (one PO, 2-4 cartons of 3-5 items, each carton with an SSCC-18) and their
invoices are built in memory for the demo acme profile; control numbers come from a counter in
memory, so the database is not measured. Each kind is written twice: once alone (generation),
then again with every document run through the outbox's pre-send check (pyx12 with the
project's maps), which must find no error. That check is timed on its own inside the second
pass (validation) and with the writing around it (combined). pyx12's check is the in-process
baseline: the ratio says how many documents are written in the time pyx12 checks one.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time as time_of_day
from datetime import timedelta
from decimal import Decimal

from stdnum import ean

import emitters
from bench._markdown import Headline
from bench._markdown import table
from bench._memory import peak_rss_mb
from gateway.model.gs1 import sscc
from gateway.model.outbound import Allowance
from gateway.model.outbound import Carrier
from gateway.model.outbound import InvoiceLine
from gateway.model.outbound import InvoiceRecord
from gateway.model.outbound import InvoiceTerms
from gateway.model.outbound import Pack
from gateway.model.outbound import Place
from gateway.model.outbound import ShipmentRecord
from gateway.model.outbound import ShippedItem
from gateway.model.outbound import ShippedOrder
from gateway.model.outbound import Tax
from gateway.outbound.outbox import pre_send_errors
from partners import PartnerProfile
from partners import PartnerRegistry

PARTNER = "acme"
SHIP_DATE = date(2026, 11, 24)
WHEN = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PRODUCTS = 2_000
TAX_RATE = Decimal("0.0675")
_CENT = Decimal("0.01")
SHIP_FROM = Place(
    role="SF", name="NORTHWIND DISTRIBUTION", id_qualifier="92", id="NW01", address=["200 Harbor Road"],
    city="Toledo", state="OH", postal_code="43604", country="US",
)  # fmt: skip
REMIT_TO = Place(
    role="RI", name="NORTHWIND DISTRIBUTION", id_qualifier="92", id="NW01", address=["PO Box 4410"],
    city="Toledo", state="OH", postal_code="43604",
)  # fmt: skip
CARRIER = Carrier(scac="UPSN", routing="UPS GROUND")


class MemoryControlNumbers:
    """A ``ControlNumberSource`` held in memory: the bench measures writing, not the database."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def next(self, kind: str) -> int:
        value = self._last.get(kind, 0) + 1
        self._last[kind] = value
        return value


@dataclass(slots=True)
class KindResult:
    """One document kind: how long writing, checking, and both took for ``documents`` of them."""

    kind: str
    documents: int
    megabytes: float
    generation_seconds: float
    validation_seconds: float
    combined_seconds: float
    passed: int

    def rate(self, seconds: float) -> float:
        return self.documents / seconds

    def lines(self) -> list[str]:
        generation = self.rate(self.generation_seconds)
        validation = self.rate(self.validation_seconds)
        return [
            f"  {self.kind}: {self.documents:,} documents, {self.megabytes:.1f} MB; "
            f"{self.passed:,} of {self.documents:,} passed pyx12",
            f"    generation only:          {self.generation_seconds:8.2f} s  {generation:8,.0f} docs/s",
            f"    pyx12 validation only:    {self.validation_seconds:8.2f} s  {validation:8,.1f} docs/s",
            f"    generation + validation:  {self.combined_seconds:8.2f} s  "
            f"{self.rate(self.combined_seconds):8,.1f} docs/s",
            f"    ratio generation / pyx12 validation: {generation / validation:,.0f}x",
        ]

    def row(self) -> list[str]:
        """This kind's row of the markdown table: each rate with its seconds."""

        def rate(seconds: float) -> str:
            return f"{self.rate(seconds):,.1f} ({seconds:.2f} s)"

        return [
            self.kind,
            f"{self.documents:,}",
            f"{self.megabytes:.1f}",
            f"{self.passed:,}",
            rate(self.generation_seconds),
            rate(self.validation_seconds),
            rate(self.combined_seconds),
            f"{self.ratio:,.0f}x",
        ]

    @property
    def ratio(self) -> float:
        """Documents written in the time pyx12 checks one."""
        return self.validation_seconds / self.generation_seconds

    def headline(self) -> Headline:
        return Headline(
            f"{self.kind} generation",
            f"{self.rate(self.generation_seconds):,.0f} docs/s",
            f"{self.ratio:,.0f}x",
            f"pyx12 pre-send check, {self.rate(self.validation_seconds):,.1f} docs/s",
        )


@dataclass(slots=True)
class Result:
    shipments: int
    packs: int
    items: int
    asn: KindResult
    invoice: KindResult
    peak_rss_mb_after_generation: float
    peak_rss_mb: float

    def lines(self) -> list[str]:
        return [
            f"outbound: {self.shipments:,} shipments to {PARTNER} (1 PO, {self.packs:,} cartons, "
            f"{self.items:,} items), one interchange per document",
            *self.asn.lines(),
            *self.invoice.lines(),
            f"  peak RSS after generation: {self.peak_rss_mb_after_generation:.0f} MB; "
            f"after pyx12: {self.peak_rss_mb:.0f} MB",
        ]

    def markdown(self) -> str:
        header = [
            "document", "documents", "MB", "passed pyx12", "generation docs/s", "pyx12 check docs/s",
            "both docs/s", "generation / pyx12",
        ]  # fmt: skip
        return "\n\n".join(
            [
                f"{self.shipments:,} shipments to {PARTNER} (1 PO, {self.packs:,} cartons, {self.items:,} "
                "items), one interchange per document.",
                table(header, [self.asn.row(), self.invoice.row()]),
                f"Peak RSS after generation: {self.peak_rss_mb_after_generation:.0f} MB; "
                f"after pyx12: {self.peak_rss_mb:.0f} MB.",
            ]
        )

    def headlines(self) -> list[Headline]:
        return [self.asn.headline(), self.invoice.headline()]


def _upc(product: int) -> str:
    body = f"08{product:09d}"
    return body + ean.calc_check_digit(body)


def records(count: int, prefix: str, seed: int = 7) -> list[tuple[ShipmentRecord, InvoiceRecord]]:
    """``count`` shipments of one PO each, and the invoice for what each shipped."""
    rng = random.Random(seed)
    serial = 0
    work = []
    for n in range(count):
        po_number = f"45{n:08d}"
        po_date = SHIP_DATE - timedelta(days=rng.randint(1, 20))
        packs: list[Pack] = []
        billed: list[InvoiceLine] = []
        for _ in range(rng.randint(2, 4)):
            items: list[ShippedItem] = []
            for _ in range(rng.randint(3, 5)):
                product = rng.randrange(PRODUCTS)
                line_no = str(len(billed) + 1)
                quantity = Decimal(rng.randint(1, 48))
                item = ShippedItem(
                    line_no=line_no, quantity=quantity, sku=f"NW-{product:06d}", upc=_upc(product),
                    description=f"ITEM {product} STEEL {rng.choice((6, 8, 10, 12))}MM",
                )  # fmt: skip
                items.append(item)
                billed.append(
                    InvoiceLine(
                        line_no=line_no, quantity=quantity, unit_price=Decimal(rng.randint(25, 25_000)) / 100,
                        sku=item.sku, upc=item.upc, description=item.description,
                    )
                )  # fmt: skip
            serial += 1
            packs.append(
                Pack(sscc=sscc(prefix, serial), weight=Decimal(rng.randint(50, 600)) / 10, items=items)
            )
        ship_to = Place(role="ST", name=f"ACME DC {n % 40 + 1}", id_qualifier="92", id=f"DC{n % 40 + 1:02d}")
        shipment = ShipmentRecord(
            shipment_id=f"SH{n:08d}", partner=PARTNER, ship_date=SHIP_DATE, ship_time=time_of_day(14, 30),
            estimated_delivery=SHIP_DATE + timedelta(days=3), carrier=CARRIER,
            tracking_number=f"1Z999AA1{n:010d}", bill_of_lading=f"BOL{n:08d}",
            gross_weight=sum((p.weight or Decimal(0) for p in packs), Decimal(0)), ship_from=SHIP_FROM,
            ship_to=ship_to, orders=[ShippedOrder(po_number=po_number, po_date=po_date, packs=packs)],
        )  # fmt: skip
        line_total = sum((line.quantity * line.unit_price for line in billed), Decimal(0))
        invoice = InvoiceRecord(
            invoice_number=f"INV{n:08d}", partner=PARTNER, invoice_date=SHIP_DATE, po_number=po_number,
            po_date=po_date, shipment_id=shipment.shipment_id, ship_date=SHIP_DATE,
            bill_of_lading=shipment.bill_of_lading, carrier=CARRIER,
            terms=InvoiceTerms(discount_percent=Decimal(2), discount_days=10, net_days=30),
            parties=[REMIT_TO, ship_to], lines=billed,
            charges=[Allowance(indicator="C", code="D240", amount=Decimal("18.50"), description="FREIGHT")],
            taxes=[Tax(amount=(line_total * TAX_RATE).quantize(_CENT), percent=TAX_RATE * 100)],
        )  # fmt: skip
        work.append((shipment, invoice))
    return work


Emit = Callable[[MemoryControlNumbers], emitters.OutboundDocument]


def _generation(emits: list[Emit]) -> tuple[float, int]:
    """Seconds to write every document, and their total size in bytes."""
    numbers = MemoryControlNumbers()
    size = 0
    started = time.perf_counter()
    for emit in emits:
        size += len(emit(numbers).content)
    return time.perf_counter() - started, size


def _with_validation(emits: list[Emit]) -> tuple[float, float, int]:
    """Write and check every document: (seconds in the pyx12 check, seconds overall, passed)."""
    numbers = MemoryControlNumbers()
    checking = 0.0
    passed = 0
    started = time.perf_counter()
    for emit in emits:
        document = emit(numbers)
        before = time.perf_counter()
        errors = pre_send_errors(document)
        checking += time.perf_counter() - before
        if errors:
            raise RuntimeError(
                f"{document.kind} {document.refers_to} failed its pyx12 check: {'; '.join(errors[:3])}"
            )
        passed += 1
    return checking, time.perf_counter() - started, passed


def _asn_emitters(work: list[tuple[ShipmentRecord, InvoiceRecord]], partner: PartnerProfile) -> list[Emit]:
    def emit(shipment: ShipmentRecord) -> Emit:
        return lambda numbers: emitters.x12_856.emit(
            shipment, partner, structure="SOPI", numbers=numbers, when=WHEN
        )

    return [emit(shipment) for shipment, _ in work]


def _invoice_emitters(
    work: list[tuple[ShipmentRecord, InvoiceRecord]], partner: PartnerProfile
) -> list[Emit]:
    def emit(invoice: InvoiceRecord) -> Emit:
        return lambda numbers: emitters.x12_810.emit(invoice, partner, numbers=numbers, when=WHEN)

    return [emit(invoice) for _, invoice in work]


def run(shipments: int = 10_000) -> Result:
    partner = PartnerRegistry.from_directory().get(PARTNER)
    if partner is None or partner.gs1_company_prefix is None:
        raise RuntimeError(f"the demo {PARTNER} profile with a GS1 company prefix is needed")
    work = records(shipments, partner.gs1_company_prefix)
    kinds = {"856": _asn_emitters(work, partner), "810": _invoice_emitters(work, partner)}
    generated = {kind: _generation(emits) for kind, emits in kinds.items()}
    rss_generation = peak_rss_mb()
    results = []
    for kind, emits in kinds.items():
        seconds, size = generated[kind]
        checking, combined, passed = _with_validation(emits)
        results.append(KindResult(kind, len(emits), size / 1e6, seconds, checking, combined, passed))
    packs = sum(len(order.packs) for shipment, _ in work for order in shipment.orders)
    items = sum(len(invoice.lines) for _, invoice in work)
    return Result(shipments, packs, items, results[0], results[1], rss_generation, peak_rss_mb())
