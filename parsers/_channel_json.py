"""Reading a channel's JSON order: numbers as Decimal, every value with its JSON pointer, specific issues.

The channel readers (``_shopify``, ``_woocommerce``, ``_amazon``, ``_walmart``) walk the document
through ``Node``s: each knows its RFC 6901 pointer (``/line_items/2/quantity``), so a value put on
the canonical order keeps where it came from, and a value that is missing or malformed becomes an
``Issue`` naming that pointer. JSON numbers are read as ``Decimal`` (``parse_float=Decimal``), never
float; ``NaN`` and ``Infinity`` are refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from gateway.errors import InboundError
from gateway.model.order import Address
from gateway.model.order import Channel
from gateway.model.order import Contact
from gateway.model.order import Order
from gateway.model.order import OrderLine
from gateway.model.order import Party
from gateway.model.order import Provenance
from gateway.model.order import Quantity
from gateway.model.order import Reference
from gateway.model.order import Traced
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import Severity


class JsonRefusal(InboundError):
    """Bytes that are not one well-formed JSON document (``parse_channel_order`` makes it an ``Issue``)."""


def _no_constant(name: str) -> Any:
    raise JsonRefusal(f"{name} is not a number JSON allows")


def load_json(raw: bytes) -> Any:
    """The JSON document in ``raw`` (UTF-8, with or without a BOM), its numbers as Decimal or int.

    Raises ``JsonRefusal`` saying where the text stops being JSON.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonRefusal(f"the document is not UTF-8 (byte {exc.start}); JSON must be") from exc
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonRefusal(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise JsonRefusal("the JSON nests too deeply to be an order") from exc


def pointer_token(key: str | int) -> str:
    """One reference token of a JSON pointer (RFC 6901: ``~`` is ``~0``, ``/`` is ``~1``)."""
    return str(key).replace("~", "~0").replace("/", "~1")


@dataclass(slots=True, frozen=True)
class Node:
    """One value of the document and its pointer; ``None`` stands for a key that is absent or null."""

    value: Any
    pointer: str

    def get(self, key: str) -> Node | None:
        if not isinstance(self.value, dict):
            return None
        found = self.value.get(key)
        return None if found is None else Node(found, f"{self.pointer}/{pointer_token(key)}")

    def path(self, *keys: str) -> Node | None:
        node: Node | None = self
        for key in keys:
            node = node.get(key) if node is not None else None
        return node

    def items(self) -> list[Node]:
        """The elements of an array (none for any other value)."""
        if not isinstance(self.value, list):
            return []
        return [Node(v, f"{self.pointer}/{i}") for i, v in enumerate(self.value)]

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    def keys(self) -> list[str]:
        return list(self.value) if isinstance(self.value, dict) else []


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number"


@dataclass(slots=True)
class Reading:
    """What one channel reader found wrong, and the provenance it writes; ``prefix`` names its issues."""

    prefix: str
    document_id: str | None
    issues: list[Issue] = field(default_factory=list)

    def where(self, node: Node) -> Provenance:
        return Provenance(pointer=node.pointer)

    def problem(
        self,
        code: str,
        message: str,
        pointer: str,
        *,
        line_no: str | None = None,
        field_name: str | None = None,
        warning: bool = False,
    ) -> None:
        self.issues.append(
            Issue(
                code=f"{self.prefix}.{code}",
                message=f"{message} (at {pointer or '/'})",
                severity=Severity.WARNING if warning else Severity.ERROR,
                level=Level.DOCUMENT,
                field=field_name,
                line_no=line_no,
                pointer=pointer,
            )
        )

    def put(self, target: Traced, name: str, node: Node | None, value: Any) -> None:
        """Set ``target.name`` to ``value`` read from ``node``, with its pointer as provenance."""
        if node is None or value is None:
            return
        setattr(target, name, value)
        target.provenance[name] = self.where(node)

    def text(
        self, node: Node | None, *, line_no: str | None = None, field_name: str | None = None
    ) -> str | None:
        """A string (or an integer, as ids often are) stripped; None when absent or empty."""
        if node is None:
            return None
        value = node.value
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(
                "bad_value",
                f"expected a string, found {_kind(value)}",
                node.pointer,
                line_no=line_no,
                field_name=field_name,
            )
            return None
        text = str(value).strip()
        return text or None

    def decimal(
        self, node: Node | None, *, what: str, line_no: str | None = None, field_name: str | None = None
    ) -> Decimal | None:
        """A number, or a string holding one (shops send money as strings: ``"199.00"``)."""
        if node is None:
            return None
        value = node.value
        if isinstance(value, bool | dict | list):
            self.problem(
                "bad_number",
                f"{what} must be a number, found {_kind(value)}",
                node.pointer,
                line_no=line_no,
                field_name=field_name,
            )
            return None
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.problem(
                "bad_number",
                f"{what} {str(value)[:40]!r} is not a number",
                node.pointer,
                line_no=line_no,
                field_name=field_name,
            )
            return None
        return number

    def quantity(self, node: Node | None, *, line_no: str, required_at: str) -> Decimal | None:
        """A line's quantity: present, a number, and above zero; else an error on the line."""
        if node is None:
            self.problem(
                "missing_quantity",
                f"line {line_no} has no quantity",
                required_at,
                line_no=line_no,
                field_name="quantity",
            )
            return None
        number = self.decimal(node, what="the quantity", line_no=line_no, field_name="quantity")
        if number is not None and number <= 0:
            self.problem(
                "bad_quantity",
                f"line {line_no} orders a quantity of {number}, not above zero",
                node.pointer,
                line_no=line_no,
                field_name="quantity",
            )
            return None
        return number

    def day(self, node: Node | None, *, field_name: str = "po_date") -> date | None:
        """The date of an ISO 8601 timestamp (``2024-10-02T09:15:00-04:00``), as the shop wrote it."""
        text = self.text(node, field_name=field_name)
        if text is None or node is None:
            return None
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        except ValueError:
            self.problem(
                "bad_date", f"{text[:40]!r} is not an ISO 8601 date", node.pointer, field_name=field_name
            )
            return None

    def epoch_day(self, node: Node | None, *, field_name: str = "po_date") -> date | None:
        """The UTC date of a timestamp in milliseconds since 1970 (Walmart's ``orderDate``)."""
        number = self.decimal(node, what="the timestamp", field_name=field_name)
        if number is None or node is None:
            return None
        try:
            return datetime.fromtimestamp(float(number / 1000), tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            self.problem(
                "bad_date",
                f"{number} is not a timestamp in milliseconds",
                node.pointer,
                field_name=field_name,
            )
            return None

    def order_number(self, order: Order, node: Node | None, *, within: Node, named: str) -> None:
        """The order's number (``po_number``), or an error saying the order lacks ``named``."""
        self.put(order, "po_number", node, self.text(node, field_name="po_number"))
        if order.po_number is None:
            self.problem(
                "missing_order_number", f"the order has no {named}", within.pointer, field_name="po_number"
            )

    def references(self, order: Order, within: Node, keys: dict[str, str]) -> None:
        """The channel's own ids and statuses as references: qualifier by key."""
        for qualifier, key in keys.items():
            reference = self.reference(qualifier, within.get(key))
            if reference is not None:
                order.references.append(reference)

    def parties(self, order: Order, found: list[tuple[str, Node | None, AddressKeys]]) -> None:
        for role, node, keys in found:
            party = self.party(role, node, keys)
            if party is not None:
                order.parties.append(party)

    def reference(self, qualifier: str, node: Node | None) -> Reference | None:
        value = self.text(node)
        if value is None or node is None:
            return None
        return Reference(qualifier=qualifier, value=value, provenance={"value": self.where(node)})

    def party(self, role: str, node: Node | None, keys: AddressKeys) -> Party | None:
        """A party from an address object, by the channel's own key names; None when it holds nothing."""
        if node is None or not node.is_object:
            return None
        party = Party(role=role)
        names = [(key, self.text(node.get(key))) for key in keys.name]
        full = " ".join(value for _, value in names if value)
        first = next((node.get(key) for key, value in names if value), None)
        self.put(party, "name", first, full or None)
        organisation = self.text(node.get(keys.company)) if keys.company else None
        if organisation:
            party.extra_names.append(organisation)
        address = Address()
        for key in keys.lines:
            child = node.get(key)
            line = self.text(child)
            if line and child is not None:
                address.lines.append(line)
                address.provenance.setdefault("lines", self.where(child))
        for attr in ("city", "region", "postal_code", "country"):
            key = getattr(keys, attr)
            child = node.get(key) if key else None
            self.put(address, attr, child, self.text(child))
        if address.lines or address.city or address.postal_code or address.country:
            party.address = address
        contact = Contact(function="IC")
        for kind, wanted in (("email", keys.email), ("phone", keys.phone)):
            child = node.get(wanted) if wanted else None
            value = self.text(child)
            if value and child is not None:
                contact.channels[kind] = value
                contact.provenance[kind] = self.where(child)
        if contact.channels:
            party.contacts.append(contact)
        if party.name is None and party.address is None and not party.contacts:
            return None
        return party


@dataclass(slots=True, frozen=True)
class AddressKeys:
    """A channel's key names in its address objects (``None``: the channel has no such key)."""

    name: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None


def unit_price_of_line(
    reading: Reading, total: Decimal, quantity: Decimal, pointer: str, *, line_no: str
) -> Decimal:
    """The unit price of a line whose channel gives the line's amount (Amazon, Walmart), to 4 places."""
    unit = total / quantity
    exponent = unit.as_tuple().exponent
    if unit * quantity == total and isinstance(exponent, int) and exponent >= -4:
        return unit  # exact: 17.95 over 2 is 8.975
    kept = unit.quantize(Decimal("0.0001"))
    if kept * quantity != total:
        reading.problem(
            "price_rounded",
            f"line {line_no}: the line amount {total} over quantity {quantity} is {unit:.6f}, kept as {kept}",
            pointer,
            line_no=line_no,
            field_name="unit_price",
            warning=True,
        )
    return kept


@dataclass(slots=True, frozen=True)
class ChannelOptions:
    """What the channel's profile says about reading its orders (see ``partners.ChannelLink``)."""

    partner: str | None
    document_id: str | None
    uom: str = "EA"  # the unit of a quantity the order does not qualify
    own_skus: bool = False  # the channel's SKUs are ours: tried as vendor SKUs before the xref


def channel_line(
    reading: Reading,
    options: ChannelOptions,
    item: Node,
    *,
    line_no: str,
    sku: Node | None,
    quantity: Node | None,
    description: Node | None,
    uom: str | None = None,
    other_ids: dict[str, Node | None] | None = None,
) -> OrderLine:
    """One order line: the channel's SKU as the buyer's part number (resolved through the xref, and as our
    SKU first when ``own_skus``), its quantity, description and other ids; the caller sets the price."""
    line = OrderLine(line_no=line_no)
    line.provenance["line_no"] = reading.where(item)
    code = reading.text(sku, line_no=line_no, field_name="buyer_part")
    reading.put(line, "buyer_part", sku, code)
    if options.own_skus:
        reading.put(line, "vendor_sku", sku, code)
    reading.put(line, "description", description, reading.text(description, line_no=line_no))
    value = reading.quantity(quantity, line_no=line_no, required_at=item.pointer)
    if value is not None and quantity is not None:
        reading.put(line, "quantity", quantity, Quantity(value=value, uom=uom or options.uom))
    for name, node in (other_ids or {}).items():
        found = reading.text(node, line_no=line_no)
        if found and found != "0" and node is not None:  # WooCommerce: variation_id 0 is "no variation"
            line.other_ids[name] = found
            line.provenance[f"other_ids.{name}"] = reading.where(node)
    if code is None and line.description is None:
        reading.problem(
            "missing_sku",
            f"line {line_no} names no SKU and no product",
            item.pointer,
            line_no=line_no,
            field_name="buyer_part",
        )
    return line


def channel_order(channel: Channel, options: ChannelOptions) -> Order:
    return Order(partner=options.partner, channel=channel, document_id=options.document_id)


@dataclass(frozen=True, slots=True)
class LineNodes:
    """Where one channel item keeps what ``channel_line`` reads."""

    sku: Node | None
    quantity: Node | None
    description: Node | None
    other_ids: dict[str, Node | None] = field(default_factory=dict)


def numbered_lines(
    reading: Reading, options: ChannelOptions, items: Node | None, nodes: Callable[[Node], LineNodes]
) -> Iterator[tuple[str, Node, OrderLine]]:
    """Each item of ``items`` as (its line number, from 1; the item; its ``channel_line`` read from
    the ``nodes`` of it): the order lines of Amazon, Shopify and WooCommerce. The caller prices each."""
    for index, item in enumerate(items.items() if items else [], start=1):
        line_no = str(index)
        found = nodes(item)
        line = channel_line(
            reading,
            options,
            item,
            line_no=line_no,
            sku=found.sku,
            quantity=found.quantity,
            description=found.description,
            other_ids=found.other_ids,
        )
        yield line_no, item, line


def unit_priced_lines(
    reading: Reading, options: ChannelOptions, order: Order, within: Node, *, ids: dict[str, str]
) -> None:
    """``line_items[]`` with ``sku``, ``quantity``, ``price`` (the unit price) and ``name``, as Shopify and
    WooCommerce both write them; ``ids`` names the other ids kept (``other_ids`` name by key)."""
    items = within.get("line_items")
    if items is None or not items.items():
        reading.problem("no_lines", "the order has no line_items", within.pointer)

    def nodes(item: Node) -> LineNodes:
        return LineNodes(
            sku=item.get("sku"),
            quantity=item.get("quantity"),
            description=item.get("name") or item.get("title"),
            other_ids={name: item.get(key) for name, key in ids.items()},
        )

    for line_no, item, line in numbered_lines(reading, options, items, nodes):
        price = item.get("price")
        unit = reading.decimal(price, what="the price", line_no=line_no, field_name="unit_price")
        reading.put(line, "unit_price", price, unit)
        order.lines.append(line)
