"""The 810 invoice: BIG, REF, N1 loops, ITD, DTM, IT1/PID lines, then TDS, TXI, CAD, SAC, ISS, CTT.

TDS01 is the invoice total in cents: lines + charges - allowances + tax, the same sum as
``InvoiceRecord.total``; SAC05 amounts are in cents too (N2).
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal

from gateway.model.outbound import InvoiceRecord
from partners import PartnerProfile

from ._envelope import FunctionalGroup
from ._envelope import Segment
from ._envelope import TransactionSet
from ._envelope import build_interchange
from ._envelope import date8
from ._envelope import echo
from ._envelope import number
from ._outbound import ControlNumberSource
from ._outbound import OutboundDocument
from ._parties import place_segments

KIND = "810"
_CENT = Decimal("0.01")


def cents(amount: Decimal) -> str:
    """An N2 amount: cents without a decimal point, rounded half up (``12.345`` -> ``1235``)."""
    return str(int((amount.quantize(_CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value()))


def emit(
    invoice: InvoiceRecord, partner: PartnerProfile, *, numbers: ControlNumberSource, when: datetime
) -> OutboundDocument:
    """One interchange with one 810 for ``invoice``."""
    interchange = build_interchange(
        partner,
        [FunctionalGroup("IN", partner.version, [TransactionSet(KIND, body_segments(invoice, partner))])],
        numbers=numbers,
        when=when,
    )
    return interchange.outbound(kind=KIND, partner=partner, refers_to=invoice.invoice_number)


def body_segments(invoice: InvoiceRecord, partner: PartnerProfile) -> list[Segment]:
    """The 810 between ST and SE."""
    body: list[Segment] = [
        [
            "BIG",
            date8(invoice.invoice_date),
            echo(invoice.invoice_number, partner, 22),
            date8(invoice.po_date) if invoice.po_date else "",
            echo(invoice.po_number, partner, 22),
        ],
        ["CUR", "SE", invoice.currency],
    ]
    if invoice.bill_of_lading:
        body.append(["REF", "BM", echo(invoice.bill_of_lading, partner, 30)])
    if invoice.shipment_id:
        body.append(["REF", "PK", echo(invoice.shipment_id, partner, 30)])
    for place in invoice.parties:
        body.extend(place_segments(place, partner))
    terms = invoice.terms
    itd = ["ITD", terms.type_code, terms.basis_date_code]
    if terms.discount_percent is not None and terms.discount_days is not None:
        itd += [number(terms.discount_percent), "", str(terms.discount_days), ""]
    else:
        itd += ["", "", "", ""]
    itd += [str(terms.net_days)]
    if terms.description:
        itd += ["", "", "", "", echo(terms.description, partner, 80)]  # ITD12
    body.append(itd)
    if invoice.ship_date:
        body.append(["DTM", "011", date8(invoice.ship_date)])
    for line in invoice.lines:
        it1 = [
            "IT1",
            echo(line.line_no, partner, 20),
            number(line.quantity),
            line.uom,
            number(line.unit_price),
            "",
        ]
        for qualifier, value in (("VN", line.sku), ("UP", line.upc), ("BP", line.buyer_part)):
            if value:
                it1 += [qualifier, echo(value, partner, 48)]
        body.append(it1)
        if line.description:
            body.append(["PID", "F", "", "", "", echo(line.description, partner, 80)])
    body.append(["TDS", cents(invoice.total)])
    for tax in invoice.taxes:
        txi = ["TXI", tax.type_code, number(tax.amount)]
        if tax.percent is not None:
            txi.append(number(tax.percent))
        body.append(txi)
    carrier = invoice.carrier
    if carrier is not None and (carrier.scac or carrier.routing):
        body.append(
            ["CAD", carrier.transport_method, "", "", carrier.scac or "", echo(carrier.routing, partner, 35)]
        )
    for charge in invoice.charges:
        sac = ["SAC", charge.indicator, charge.code, "", "", cents(charge.amount)]
        if charge.description:
            sac += ["", "", "", "", "", "", "", "", "", echo(charge.description, partner, 80)]
        body.append(sac)
    units = {line.uom for line in invoice.lines}
    if len(units) == 1:
        body.append(["ISS", number(sum((line.quantity for line in invoice.lines), Decimal(0))), units.pop()])
    body.append(["CTT", str(len(invoice.lines))])
    return body
