"""The 855, 856 and 810 as data: what the gateway sends, checked by pyx12 before it leaves.

Same notation as ``_map_table``. The segments the emitters write are defined element by
element; the rest of each set's table is listed so that a partner's optional segments still
have a place, with generic elements.
"""

from __future__ import annotations

from ._map_table import _GENERIC
from ._map_table import _PARTY
from ._map_table import _PRODUCT_ID_PAIRS
from ._map_table import Node
from ._map_table import SetTable

DATA_ELEMENTS: dict[str, tuple[str, int, int, str]] = {
    "76": ("AN", 1, 22, "Invoice Number"),
    "140": ("ID", 2, 4, "Standard Carrier Alpha Code"),
    "306": ("ID", 1, 2, "Action Code"),
    "326": ("AN", 1, 45, "Request Reference Number"),
    "327": ("AN", 1, 8, "Change Order Sequence Number"),
    "358": ("R", 1, 10, "Quantity Invoiced"),
    "382": ("R", 1, 10, "Number of Units Shipped"),
    "396": ("AN", 2, 30, "Shipment Identification"),
    "610": ("N2", 1, 15, "Amount"),
    "641": ("ID", 3, 3, "Status Reason Code"),
    "646": ("R", 1, 9, "Quantity Shipped to Date"),
    "668": ("ID", 2, 2, "Line Item Status Code"),
    "728": ("ID", 2, 2, "Returnable Container Load Make-Up Code"),
    "828": ("R", 1, 9, "Dollar Basis For Percent"),
    "955": ("ID", 1, 2, "Tax Jurisdiction Code Qualifier"),
    "956": ("AN", 1, 10, "Tax Jurisdiction Code"),
    "963": ("ID", 2, 2, "Tax Type Code"),
    "1005": ("ID", 4, 4, "Hierarchical Structure Code"),
    "1271": ("AN", 1, 30, "Industry Code"),
}

SEGMENTS: dict[str, tuple[str, list[str], list[str]]] = {
    "BAK": (
        "Beginning Segment for Purchase Order Acknowledgment",
        ["353:M", "587:M", "324:M", "373:M", "328", "326", "367", "127", "373", "640"],
        [],
    ),
    "ACK": (
        "Line Item Acknowledgment",
        ["668:M", "380", "355", "374", "373", "326", *_PRODUCT_ID_PAIRS, "559", "822", "1271"],
        ["P0203", "C0405", *(f"P{n:02d}{n + 1:02d}" for n in range(7, 26, 2))],
    ),
    "BSN": (
        "Beginning Segment for Ship Notice",
        ["353:M", "396:M", "373:M", "337:M", "1005", "640", "641"],
        [],
    ),
    "HL": ("Hierarchical Level", ["628:M", "734", "735:M", "736"], []),
    "SN1": (
        "Item Detail (Shipment)",
        ["350", "382:M", "355:M", "646", "330", "355", "728", "668"],
        ["P0506"],
    ),
    "PRF": ("Purchase Order Reference", ["324:M", "328", "327", "373", "350", "367", "92"], []),
    "BIG": (
        "Beginning Segment for Invoice",
        ["373:M", "76:M", "373", "324", "328", "327", "640", "353", "306", "76"],
        [],
    ),
    "IT1": (
        "Baseline Item Data (Invoice)",
        ["350", "358", "355", "212", "639", *_PRODUCT_ID_PAIRS],
        ["P020304", "C0504", *(f"P{n:02d}{n + 1:02d}" for n in range(6, 25, 2))],
    ),
    "TDS": ("Total Monetary Value Summary", ["610:M", "610", "610", "610"], []),
    "TXI": (
        "Tax Information",
        ["963:M", "782", "954", "955", "956", "441", "662", "828", "325", "350"],
        ["R020306", "C0405", "C0504", "C0803"],
    ),
    "CAD": (
        "Carrier Detail",
        ["91", "206", "207", "140", "387", "368", "128", "127", "284"],
        ["R0405", "P0708"],
    ),
    "ISS": (
        "Invoice Shipment Summary",
        ["382", "355", "81", "355", "183", "355", "380", "81"],
        ["P0102", "P0304", "P0506"],
    ),
    **{
        seg: (name, _GENERIC[:count], [])
        for seg, name, count in [
            ("TSD", "Trailer Shipment Details", 2),
            ("PAL", "Pallet Information", 14),
            ("ETD", "Excess Transportation Detail", 7),
            ("CRC", "Conditions Indicator", 7),
            ("SR", "Requested Service Schedule", 7),
            ("L7", "Tariff Reference", 13),
            ("YNQ", "Yes/No Question", 10),
            ("DMG", "Demographic Information", 11),
            ("BAL", "Balance Detail", 3),
        ]
    },
}

_ACK_HEADER: list[Node] = [
    (20, "BAK", "R", "1"),
    (30, "CUR", "S", "1"),
    (50, "REF", "S", ">1"),
    (60, "PER", "S", "3"),
    (70, "TAX", "S", ">1"),
    (80, "FOB", "S", ">1"),
    (90, "CTP", "S", ">1"),
    (110, "CSH", "S", "5"),
    ("loop", "SAC", "S", "25", [(120, "SAC", "R", "1"), (125, "CUR", "S", "1")]),
    (130, "ITD", "S", ">1"),
    (140, "DIS", "S", "20"),
    (150, "DTM", "S", "10"),
    (160, "LDT", "S", "12"),
    (230, "TD1", "S", "2"),
    (240, "TD5", "S", "12"),
    (250, "TD3", "S", "12"),
    (260, "TD4", "S", "5"),
    (270, "MAN", "S", "10"),
    (285, "TXI", "S", ">1"),
    ("loop", "N9", "S", "1000", [(295, "N9", "R", "1"), (297, "DTM", "S", ">1"), (298, "MSG", "S", "1000")]),
    ("loop", "N1", "S", "200", _PARTY),
]

_ACK_DETAIL: list[Node] = [
    (
        "loop",
        "PO1",
        "S",
        "100000",
        [
            (10, "PO1", "R", "1"),
            (15, "LIN", "S", ">1"),
            (18, "SI", "S", ">1"),
            (20, "CUR", "S", "1"),
            (30, "PO3", "S", "25"),
            (40, "CTP", "S", ">1"),
            ("loop", "PID", "S", "1000", [(50, "PID", "R", "1"), (60, "MEA", "S", "10")]),
            (90, "PO4", "S", ">1"),
            (100, "REF", "S", ">1"),
            (110, "PER", "S", "3"),
            ("loop", "SAC", "S", "25", [(130, "SAC", "R", "1"), (135, "CUR", "S", "1")]),
            (140, "IT8", "S", "1"),
            (150, "DTM", "S", "10"),
            (160, "TXI", "S", ">1"),
            (220, "TD5", "S", "12"),
            (270, "ACK", "S", "104"),
            ("loop", "SCH", "S", "104", [(295, "SCH", "R", "1")]),
            ("loop", "N1", "S", "200", [(300, "N1", "R", "1"), (320, "N3", "S", "2"), (330, "N4", "S", "1")]),
        ],
    ),
]

_ACK_SUMMARY: list[Node] = [
    ("loop", "CTT", "S", "1", [(10, "CTT", "R", "1"), (20, "AMT", "S", "1")]),
]

_SHIP_HEADER: list[Node] = [
    (20, "BSN", "R", "1"),
    (40, "DTM", "S", "10"),
]

_SHIP_DETAIL: list[Node] = [
    (
        "loop",
        "HL",
        "R",
        "200000",
        [
            (10, "HL", "R", "1"),
            (20, "LIN", "S", "1"),
            (30, "SN1", "S", "1"),
            (40, "SLN", "S", "1000"),
            (50, "PRF", "S", "1"),
            (60, "PO4", "S", "1"),
            (70, "PID", "S", "200"),
            (80, "MEA", "S", "40"),
            (90, "PWK", "S", "25"),
            (100, "PKG", "S", "25"),
            (110, "TD1", "S", "20"),
            (120, "TD5", "S", "12"),
            (130, "TD3", "S", "12"),
            (140, "TD4", "S", "5"),
            (150, "TSD", "S", "1"),
            (160, "REF", "S", ">1"),
            (170, "PER", "S", "3"),
            (190, "MAN", "S", ">1"),
            (200, "DTM", "S", "10"),
            (210, "FOB", "S", "1"),
            (215, "PAL", "S", "1"),
            (
                "loop",
                "N1",
                "S",
                "200",
                [
                    (220, "N1", "R", "1"),
                    (230, "N2", "S", "2"),
                    (240, "N3", "S", "2"),
                    (250, "N4", "S", "1"),
                    (260, "REF", "S", "12"),
                    (270, "PER", "S", "3"),
                    (280, "FOB", "S", "1"),
                ],
            ),
            (290, "SDQ", "S", "50"),
            (300, "ETD", "S", "1"),
            (310, "CUR", "S", "1"),
            ("loop", "SAC", "S", ">1", [(320, "SAC", "R", "1"), (325, "CUR", "S", "1")]),
        ],
    ),
]

_SHIP_SUMMARY: list[Node] = [(10, "CTT", "S", "1")]

_INVOICE_HEADER: list[Node] = [
    (20, "BIG", "R", "1"),
    (30, "NTE", "S", "100"),
    (40, "CUR", "S", "1"),
    (50, "REF", "S", "12"),
    (53, "YNQ", "S", "10"),
    (60, "PER", "S", "3"),
    (
        "loop",
        "N1",
        "S",
        "200",
        [
            (70, "N1", "R", "1"),
            (80, "N2", "S", "2"),
            (90, "N3", "S", "2"),
            (100, "N4", "S", "1"),
            (110, "REF", "S", "12"),
            (120, "PER", "S", "3"),
            (125, "DMG", "S", "1"),
        ],
    ),
    (130, "ITD", "S", ">1"),
    (140, "DTM", "S", "10"),
    (150, "FOB", "S", "1"),
    (160, "PID", "S", "200"),
    (170, "MEA", "S", "40"),
    (180, "PWK", "S", "25"),
    (190, "PKG", "S", "25"),
    (200, "L7", "S", "1"),
    (212, "BAL", "S", ">1"),
    (220, "INC", "S", "1"),
    (230, "PAM", "S", ">1"),
]

_INVOICE_DETAIL: list[Node] = [
    (
        "loop",
        "IT1",
        "S",
        "200000",
        [
            (10, "IT1", "R", "1"),
            (12, "CRC", "S", "1"),
            (15, "QTY", "S", "5"),
            (20, "CUR", "S", "1"),
            (30, "IT3", "S", "5"),
            (40, "TXI", "S", "10"),
            (50, "CTP", "S", "25"),
            (59, "PAM", "S", "10"),
            ("loop", "PID", "S", "1000", [(60, "PID", "R", "1"), (70, "MEA", "S", "10")]),
            (80, "PWK", "S", "25"),
            (90, "PKG", "S", "25"),
            (100, "PO4", "S", "1"),
            (110, "ITD", "S", "2"),
            (120, "REF", "S", ">1"),
            (125, "YNQ", "S", "10"),
            (130, "PER", "S", "5"),
            (140, "SDQ", "S", "500"),
            (150, "DTM", "S", "10"),
            (160, "CAD", "S", ">1"),
            (170, "L7", "S", ">1"),
            (175, "SR", "S", "1"),
            ("loop", "SAC", "S", "25", [(180, "SAC", "R", "1"), (190, "TXI", "S", "10")]),
            (
                "loop",
                "SLN",
                "S",
                "1000",
                [(200, "SLN", "R", "1"), (210, "DTM", "S", "1"), (220, "REF", "S", ">1")],
            ),
            ("loop", "N1", "S", "200", [(230, "N1", "R", "1"), (240, "N3", "S", "2"), (250, "N4", "S", "1")]),
        ],
    ),
]

_INVOICE_SUMMARY: list[Node] = [
    (10, "TDS", "R", "1"),
    (20, "TXI", "S", "10"),
    (30, "CAD", "S", "1"),
    (35, "AMT", "S", ">1"),
    ("loop", "SAC", "S", "25", [(40, "SAC", "R", "1"), (50, "TXI", "S", "10")]),
    ("loop", "ISS", "S", ">1", [(60, "ISS", "R", "1"), (65, "PID", "S", "1")]),
    (70, "CTT", "S", "1"),
]

ACKNOWLEDGMENT = SetTable(
    "855", "Purchase Order Acknowledgment", "PR", _ACK_HEADER, _ACK_DETAIL, _ACK_SUMMARY, detail_usage="S"
)
SHIP_NOTICE = SetTable("856", "Ship Notice/Manifest", "SH", _SHIP_HEADER, _SHIP_DETAIL, _SHIP_SUMMARY)
INVOICE = SetTable(
    "810",
    "Invoice",
    "IN",
    _INVOICE_HEADER,
    _INVOICE_DETAIL,
    _INVOICE_SUMMARY,
    detail_usage="S",
    summary_usage="R",
)
