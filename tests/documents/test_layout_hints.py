"""Layout hints without a store: where a value sits on a page, how learned hints merge under a profile,
and the TOML they export."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from email.message import EmailMessage

from parsers import parse
from parsers.layout import Place
from parsers.layout import column_place
from parsers.layout import date_value
from parsers.layout import label_place
from parsers.layout import number_value
from parsers.layout import text_value
from parsers.layout._words import Word
from parsers.layout._words import rows_of
from partners import LayoutHint
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import learned_layout
from partners import profile_toml
from tests.documents.layout_documents import PART_TITLE
from tests.documents.layout_documents import PO_LABEL
from tests.documents.layout_documents import layout_pdf

BASE = {"name": "p", "customer_account": "C1", "isa": {"qualifier": "ZZ", "id": "P"},
        "us": {"qualifier": "ZZ", "id": "US"}}  # fmt: skip


def words(*placed: tuple[str, float, float]) -> list[Word]:
    """Words at (text, x0, top), 10 points high, 6 points a character wide."""
    return [Word(text, x0, x0 + 6 * len(text), top, top + 10, 1) for text, x0, top in placed]


def test_a_label_left_of_the_value_on_its_row_else_right_above_it() -> None:
    rows = rows_of(
        words(
            ("Ship", 10, 10), ("to:", 40, 10), ("Dock", 70, 10), ("Auftrag", 300, 10),
            ("Kennung", 10, 30), ("Datum", 300, 30),
            ("AB-77", 10, 42), ("Ref", 120, 42), ("no.", 142, 42), ("X-1", 220, 42), ("3", 300, 42),
            ("Nov.", 310, 42), ("2026", 340, 42),
        )
    )  # fmt: skip
    assert label_place(rows, text_value("x-1")) == Place("Ref no", "right")
    assert label_place(rows, text_value("AB-77")) == Place("Kennung", "below")
    assert label_place(rows, date_value(date(2026, 11, 3))) == Place("Datum", "below")
    assert label_place(rows, text_value("Dock")) == Place("Ship to", "right")
    assert label_place(rows, text_value("nowhere")) is None


def test_a_line_value_takes_the_title_over_its_column_not_a_value_above() -> None:
    rows = rows_of(
        words(
            ("Pos", 10, 10), ("Teilekennung", 40, 10), ("Menge", 160, 10),
            ("1", 10, 22), ("NW-10042", 40, 22), ("24", 160, 22),
            ("2", 10, 34), ("NW-30555", 40, 34), ("1.000", 160, 34),
        )
    )  # fmt: skip
    assert column_place(rows, text_value("NW-30555"), (1, 34.0)) == Place("Teilekennung", "column")
    assert column_place(rows, number_value(Decimal(1000)), (1, 34.0)) == Place("Menge", "column")
    assert column_place(rows, text_value("NW-30555"), (2, 34.0)) is None  # not on that page


def test_profile_settings_win_over_learned_hints_and_only_applied_hints_count() -> None:
    profile = PartnerProfile.model_validate(
        {**BASE, "pdf_anchors": {"po_number": "Order ref"}, "sheet_columns": {"Art.": "vendor_sku"}}
    )
    hints = [
        LayoutHint("pdf", "po_number", "Vorgang", "right", 4),  # the profile names its own label
        LayoutHint("pdf", "po_date", "Datum", "right", 2),
        LayoutHint("pdf", "terms", "Zahlung", "below", 6),  # a label above its value anchors too
        LayoutHint("pdf", "vendor_sku", "Teil", "column", 3),  # the profile pins that field already
        LayoutHint("pdf", "quantity", "Stk", "column", 1),
        LayoutHint("sheet", "buyer_part", "Kunde", "column", 5),  # a sheet's: not for PDFs
    ]
    pdf = learned_layout(profile, hints, "pdf")
    assert pdf.anchors == {"po_number": "Order ref", "po_date": "Datum", "terms": "Zahlung"}
    assert pdf.columns == {"Art.": "vendor_sku", "Stk": "quantity"}
    assert pdf.learned_from == 9
    sheet = learned_layout(None, [*hints, LayoutHint("sheet", "po_number", "PO", "right", 7)], "sheet")
    assert (sheet.anchors, sheet.columns, sheet.learned_from) == ({}, {"Kunde": "buyer_part"}, 5)
    assert learned_layout(profile, [], "pdf").learned_from == 0


def test_exported_toml_loads_into_a_profile() -> None:
    hints = [
        LayoutHint("pdf", "po_number", 'Vorgang "Nr."', "right", 2),
        LayoutHint("pdf", "vendor_sku", "Teil\\Nr.", "column", 1),
        LayoutHint("sheet", "vendor_sku", "Teil\\Nr.", "column", 3),
        LayoutHint("sheet", "quantity", "Stück", "column", 1),
        LayoutHint("pdf", "po_date", "Datum", "below", 1),
    ]
    exported = profile_toml(hints)
    settings = tomllib.loads(exported)
    assert settings == {
        "pdf_anchors": {"po_number": 'Vorgang "Nr."', "po_date": "Datum"},  # right of or under its label
        "sheet_columns": {"Teil\\Nr.": "vendor_sku", "Stück": "quantity"},
    }
    PartnerProfile.model_validate({**BASE, **settings})


def test_a_senders_learned_hints_read_its_pdf_attached_to_an_email_and_no_one_elses() -> None:
    message = EmailMessage()
    message["From"] = "orders@acme-retail.example"
    message["To"] = "orders@northwind.example"
    message["Subject"] = "Requisition"
    message.set_content("Please find our requisition attached.")
    pdf = layout_pdf("VK-2026-0777", "11/03/2026", [("NW-10042", "WIDGET BLUE 10MM", 24, Decimal("4.50"))])
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="req.pdf")
    data = message.as_bytes()
    partners = PartnerRegistry.from_directory()
    hints = [
        LayoutHint("pdf", "po_number", PO_LABEL, "right"),
        LayoutHint("pdf", "vendor_sku", PART_TITLE, "column"),
    ]

    def read(learned: dict[str, list[LayoutHint]]) -> tuple[str | None, list[str | None]]:
        [found] = parse(data, partners=partners, learned=learned).orders
        return found.order.po_number, [line.vendor_sku for line in found.order.lines]

    assert read({"acme": hints}) == ("VK-2026-0777", ["NW-10042"])
    assert read({"globex": hints}) == (None, [None])
