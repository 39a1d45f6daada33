"""Which 850 element feeds which canonical field: data only, no branching."""

from __future__ import annotations

from gateway.model.order import OrderPurpose

HEADER = {
    ("BEG", 1): "purpose_code",
    ("BEG", 2): "po_type",
    ("BEG", 3): "po_number",
    ("BEG", 4): "release_number",
    ("BEG", 5): "po_date",
    ("CUR", 2): "currency",
    ("BCH", 1): "purpose_code",
    ("BCH", 2): "po_type",
    ("BCH", 3): "po_number",
    ("BCH", 4): "release_number",
    ("BCH", 6): "po_date",
}
LINE = {
    ("PO1", 1): "line_no",
    ("PO1", 4): "unit_price",
    ("PO1", 5): "price_basis",
}
LINE_DECIMALS = frozenset({"unit_price"})
QUANTITY = (("PO1", 2), ("PO1", 3))
PRODUCT_ID_PAIRS = {"PO1": range(6, 25, 2), "LIN": range(2, 31, 2), "POC": range(8, 27, 2)}
# The 860's POC: line, change type (POC02), new quantity ordered, unit (POC05, a composite), price.
CHANGE_LINE = {
    ("POC", 1): "line_no",
    ("POC", 2): "change",
    ("POC", 6): "unit_price",
    ("POC", 7): "price_basis",
}
CHANGE_QUANTITY = (("POC", 3), ("POC", 5))
PRODUCT_ID_QUALIFIERS = {
    "VN": "vendor_sku",
    "VP": "vendor_sku",
    "VA": "vendor_sku",
    "BP": "buyer_part",
    "IN": "buyer_part",
    "PI": "buyer_part",
    "CB": "buyer_part",
    "UP": "upc",
    "UK": "upc",
    "EN": "upc",
    "UA": "upc",
    "UI": "upc",
}
PURPOSES = {
    "00": OrderPurpose.ORIGINAL,
    "01": OrderPurpose.CANCEL,
    "03": OrderPurpose.CANCEL,
    "04": OrderPurpose.CHANGE,
    "05": OrderPurpose.CHANGE,
    "06": OrderPurpose.CONFIRMATION,
    "07": OrderPurpose.ORIGINAL,
}
TERMS = {
    1: "type_code",
    2: "basis_date_code",
    3: "discount_percent",
    5: "discount_days",
    7: "net_days",
    12: "description",
}
TERMS_DECIMALS = frozenset({"discount_percent"})
TERMS_INTEGERS = frozenset({"discount_days", "net_days"})
CARRIER = {2: "id_qualifier", 3: "scac", 4: "transport_method", 5: "routing", 12: "service_level"}
PACK = {
    1: "pack",
    2: "inner_size",
    3: "inner_uom",
    4: "packaging_code",
    6: "weight",
    7: "weight_uom",
}
PACK_DECIMALS = frozenset({"pack", "inner_size", "weight"})
CONTACT_CHANNELS = range(3, 9, 2)
FOB = {1: "payment_method", 2: "location_qualifier", 3: "location", 5: "transfer_terms"}
