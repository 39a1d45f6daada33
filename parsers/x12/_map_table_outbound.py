"""The 855, 856, 810 and 846 as data: what the gateway sends, checked by pyx12 before it leaves.

Same notation as ``_map_table``: the segments only these sets use, element by element, with
004010's forms where they differ (``V4010``). The structures are in ``_map_table_structures``.
"""

from __future__ import annotations

from ._map_table import _PRODUCT_ID_PAIRS
from ._map_table import SetTable
from ._map_table import _local


def _unnumbered(segment: str, specs: list[tuple[str, int, int]]) -> dict[str, tuple[str, int, int, str]]:
    """Dictionary entries for a segment keyed by reference designator (``_local``): (type, min, max) each."""
    return {
        f"{segment}{n:02d}": (kind, low, high, f"{segment}{n:02d} (element number not recorded)")
        for n, (kind, low, high) in enumerate(specs, start=1)
    }


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
    "668": ("ID", 2, 2, "Line Item Status Code"),
    "828": ("R", 1, 9, "Dollar Basis For Percent"),
    "956": ("AN", 1, 10, "Tax Jurisdiction Code"),
    "963": ("ID", 2, 2, "Tax Type Code"),
    "1005": ("ID", 4, 4, "Hierarchical Structure Code"),
    "1271": ("AN", 1, 30, "Industry Code"),
    "755": ("ID", 2, 2, "Report Type Code"),
    **_unnumbered(
        "CS",
        [
            ("AN", 1, 30),
            ("AN", 1, 8),
            ("AN", 1, 30),
            ("AN", 2, 3),
            ("AN", 1, 50),
            ("AN", 1, 22),
            ("AN", 2, 10),
            ("AN", 2, 2),
            ("R", 1, 10),
            ("R", 1, 10),
            ("R", 1, 18),
            ("AN", 2, 2),
            ("AN", 2, 10),
            ("AN", 2, 2),
            ("R", 1, 17),
            ("AN", 2, 2),
            ("AN", 1, 1),
            ("AN", 1, 1),
        ],
    ),
    **_unnumbered(
        "DD",
        [
            ("AN", 1, 30),
            ("AN", 1, 3),
            ("AN", 2, 3),
            ("AN", 1, 50),
            ("AN", 1, 30),
            ("AN", 1, 3),
            ("R", 1, 15),
            ("AN", 1, 1),
            ("AN", 1, 30),
            ("AN", 1, 3),
        ],
    ),
}

SEGMENTS: dict[str, tuple[str, list[str], list[str]]] = {
    "BIA": (
        "Beginning Segment for Inventory Inquiry/Advice",
        ["353:M", "755:M", "127:M", "373:M", "337", "306"],
        [],
    ),
    "UIT": ("Unit Detail", ["C001:M", "212", "639"], []),
    "CS": ("Contract Summary", _local("CS", *range(1, 19)), []),
    "DD": ("Demand Detail", _local("DD", *range(1, 11)), []),
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
        ["373:M", "76:M", "373", "324", "328", "327", "640", "353", "306", "76", *_local("BIG", 11)],
        [],
    ),
    "IT1": (
        "Baseline Item Data (Invoice)",
        ["350", "358", "355", "212", "639", *_PRODUCT_ID_PAIRS],
        ["P020304", "C0504", *(f"P{n:02d}{n + 1:02d}" for n in range(6, 25, 2))],
    ),
    "TDS": ("Total Monetary Value Summary", ["610:M", "610", "610", "610"], []),
    "CAD": (
        "Carrier Detail",
        ["91:M", "206", "207", "140", "387", "368", "128", "127", "284"],
        ["R0405", "P0708"],
    ),
    "ISS": (
        "Invoice Shipment Summary",
        ["382", "355", "81", "355", "183", "355", "380", "81"],
        ["P0102", "P0304", "P0506"],
    ),
    "YNQ": (
        "Yes/No Question",
        ["1321", "1073:M", "1250", "1251", "933", "933", "933", "1270", "1271", "933"],
        [],
    ),
    "DMG": (
        "Demographic Information",
        ["1250", "1251", "1068", "1067", "C056", "1066", "26", "659", "380", "1270", "1271"],
        [],
    ),
    "BAL": ("Balance Detail", ["951:M", "522:M", "782:M"], []),
    "L7": (
        "Tariff Reference",
        [
            "213",
            "168",
            "171",
            "172",
            "169",
            "170",
            "59",
            "173",
            "46",
            "373",
            "119",
            "227",
            "294",
            "295",
            "19",
            "156",
        ],
        [],
    ),
    "V1": ("Vessel Identification", ["597", "182", "26", "55", "140", "249", "854", "897", "91"], []),
    "CRC": ("Conditions Indicator", ["1136:M", "1073:M", "1321:M", "1321", "1321", "1321", "1321"], []),
    "SR": (
        "Requested Service Schedule",
        ["350", *_local("SR", 2), "337", "337", *_local("SR", 5), "212", "380", "373", "373", "234", "234"],
        [],
    ),
    "TSD": ("Trailer Shipment Details", _local("TSD", 1, 2), []),
    "PAL": (
        "Pallet Information",
        [
            *_local("PAL", 1, 2, 3),
            "356",
            "395",
            "355",
            "82",
            "189",
            "65",
            "355",
            "384",
            "355",
            "385",
            "355",
            *_local("PAL", 15),
            "810",
            *_local("PAL", 17),
        ],
        [],
    ),
    "ETD": (
        "Excess Transportation Detail",
        [*_local("ETD", 1, 2, mandatory=(1, 2)), "128", "127", *_local("ETD", 5)],
        [],
    ),
    "LH1": (
        "Hazardous Identification Information",
        ["355:M", "80:M", "277", "254", *_local("LH1", *range(5, 12))],
        [],
    ),
    "LH2": ("Hazardous Classification Information", ["215", "983", *_local("LH2", *range(3, 14))], []),
    "LH3": ("Hazardous Material Shipping Name", ["224", "984", "985", "1073"], []),
    "LH4": ("Canadian Dangerous Requirements", _local("LH4", *range(1, 13)), []),
    "LHT": ("Transborder Hazardous Requirements", ["215", *_local("LHT", 2, 3)], []),
    "LHR": ("Hazardous Material Identifying Reference Numbers", ["128:M", "127:M", "373"], []),
    "LHE": (
        "Empty Equipment Hazardous Material Information",
        [*_local("LHE", 1, 2, mandatory=(1, 2)), "128:M", "127:M", *_local("LHE", 5)],
        [],
    ),
    "LEP": ("EPA Required Data", _local("LEP", 1, 2, 3, 4), []),
    "LFH": (
        "Freeform Hazardous Material Information",
        ["808:M", "809:M", "809", "1023", "355", "380", "380", "373"],
        [],
    ),
    "CLD": ("Load Detail", ["622:M", "382:M", "103", "357", "355"], []),
    "DTP": ("Date or Time or Period", ["374:M", "1250:M", "1251:M"], []),
    "GF": (
        "Furnished Goods and Services",
        ["128", "127", "367", "782", "128", "127", "328", "128", "127"],
        [],
    ),
    "R4": ("Port or Terminal", ["115:M", "309", "310", "114", "26", "174", "113", "156"], []),
    "AT9": ("Trailer or Container Dimension and Weight", _local("AT9", *range(1, 9)), []),
    "PD": (
        "Pricing Data",
        [
            *_local("PD", 1, mandatory=(1,)),
            "373:M",
            "C001:M",
            "380:M",
            *_local("PD", 5, mandatory=(5,)),
            "352",
            *_local("PD", 7),
            "127",
            "352",
            *_local("PD", 10),
        ],
        [],
    ),
    "PDD": ("Pricing Data Detail", ["350:M", "380", "782", *_local("PDD", 4, 5)], []),
}

# 004010's forms of the segments above where they differ from 005010.
V4010: dict[str, tuple[str, list[str], list[str]]] = {
    "BIG": (
        "Beginning Segment for Invoice",
        ["373:M", "76:M", "373", "324", "328", "327", "640", "353", "306", "76"],
        [],
    ),
    "CAD": (
        "Carrier Detail",
        ["91", "206", "207", "140", "387", "368", "128", "127", "284"],
        ["R0405", "P0708"],
    ),
    "DMG": (
        "Demographic Information",
        ["1250", "1251", "1068", "1067", "1109", "1066", "26", "659", "380"],
        [],
    ),
    "LFH": (
        "Freeform Hazardous Material Information",
        ["808:M", "809:M", "809", "1023", "355", "380", "380"],
        [],
    ),
    "LH2": ("Hazardous Classification Information", ["215", "983", *_local("LH2", *range(3, 12))], []),
    "PAL": (
        "Pallet Information",
        [
            *_local("PAL", 1, 2, 3),
            "356",
            "395",
            "355",
            "82",
            "189",
            "65",
            "355",
            "384",
            "355",
            "385",
            "355",
            *_local("PAL", 15),
            "810",
        ],
        [],
    ),
}


ACKNOWLEDGMENT = SetTable("855", "Purchase Order Acknowledgment", "PR")
SHIP_NOTICE = SetTable("856", "Ship Notice/Manifest", "SH")
INVOICE = SetTable("810", "Invoice", "IN")
INVENTORY_ADVICE = SetTable("846", "Inventory Inquiry/Advice", "IB")
