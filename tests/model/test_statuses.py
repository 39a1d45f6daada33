"""Every status the store keeps is spelled once, in ``gateway.model.status``: the values stored and
declared elsewhere (migrations, partial indexes, validation's outcome, the desk's lists) are its
members, and no module of ``gateway/`` compares or writes a status as a bare string."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from gateway.desk.exception_queue import REASON_OF_STATUS
from gateway.model.status import WAITING_DOCUMENTS
from gateway.model.status import AlertKind
from gateway.model.status import As2Status
from gateway.model.status import DocumentStatus
from gateway.model.status import NotificationStatus
from gateway.model.status import OrderStatus
from gateway.model.status import OutboxStatus
from gateway.web.desk_pages.views_documents import STATUSES as DOCUMENT_FILTER
from tests.conftest import ROOT

GATEWAY = ROOT / "gateway"
STATUS_MODULE = GATEWAY / "model" / "status.py"
MIGRATIONS = GATEWAY / "storage" / "migrations"
ENUMS = (DocumentStatus, OrderStatus, OutboxStatus, As2Status, NotificationStatus)
VALUES = frozenset(member.value for enum in ENUMS for member in enum)
# Where a status is read or written: ``x.status``, ``x.outcome`` (validation's), a local ``status``.
STATUS_NAMES = frozenset({"status", "outcome"})


def _values(
    enum: type[DocumentStatus | OrderStatus | OutboxStatus | As2Status | NotificationStatus],
) -> set[str]:
    return {member.value for member in enum}


def test_each_member_is_its_plain_value() -> None:
    """What is stored, written as JSON and printed is the value itself."""
    for enum in ENUMS:
        for member in enum:
            assert isinstance(member, str) and str(member) == f"{member}" == member.value
            assert member == member.value and hash(member) == hash(member.value)


def test_the_statuses_the_migrations_and_models_spell_are_members() -> None:
    """The partial indexes' ``WHERE status = '...'`` (models and migrations) name an order status, and
    migration 0014's statuses of a document that has left are outbox statuses."""
    said = [
        match
        for path in [GATEWAY / "storage" / "_models.py", *sorted(MIGRATIONS.rglob("*.py"))]
        for match in re.findall(r"status = '(\w+)'", path.read_text(encoding="utf-8"))
    ]
    assert said and set(said) <= _values(OrderStatus), said
    [migration] = MIGRATIONS.glob("versions/0014_*.py")
    left = next(
        node.value
        for node in ast.parse(migration.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "_LEFT" for t in node.targets)
    )
    assert set(ast.literal_eval(left)) == {OutboxStatus.SENT, OutboxStatus.AWAITING_MDN}


def test_validation_speaks_the_order_statuses() -> None:
    """An order's outcome is the status it is stored with, for each action its findings may take."""
    import validators
    from gateway.model.order import Channel
    from gateway.model.order import Order

    order = Order(partner="acme", channel=Channel.X12)
    outcomes = {
        action: validators.ValidationResult(
            order, [validators.Finding(code=validators.FindingCode.SHORT_STOCK, action=action, message="m")]
        ).outcome
        for action in ("warn", "hold", "reject")
    }
    assert outcomes == {"warn": "accepted", "hold": "exception", "reject": "rejected"}
    assert all(isinstance(outcome, OrderStatus) for outcome in outcomes.values())


def test_the_desk_lists_only_document_statuses() -> None:
    """The documents waiting for a person (one list, for the tally and the queue) each file under a
    reason of the queue; the documents page filters by document statuses."""
    assert set(WAITING_DOCUMENTS) <= _values(DocumentStatus)
    assert set(REASON_OF_STATUS) == set(WAITING_DOCUMENTS)
    assert set(DOCUMENT_FILTER) <= _values(DocumentStatus) and all(
        isinstance(s, DocumentStatus) for s in DOCUMENT_FILTER
    )


def _is_status(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in STATUS_NAMES
    return isinstance(node, ast.Name) and node.id in STATUS_NAMES


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    """The status values spelled as string constants in ``node`` (itself, or inside a tuple, list or set)."""
    if isinstance(node, ast.Constant) and node.value in VALUES:
        yield node
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _literals(element)


def bare_statuses(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each status spelled as a string where a status is compared, written or declared."""
    tree = ast.parse(source)
    # a module's own copy of a status: ``PENDING = "pending"``, ``_OPEN = ("accepted", "exception")``;
    # not a tuple of other words that holds one by chance (a finding's ``received`` column)
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
            value = statement.value
            elements = value.elts if isinstance(value, ast.Tuple | ast.List | ast.Set) else [value]
            if not any(isinstance(e, ast.Constant) and e.value not in VALUES for e in elements):
                for literal in _literals(value):
                    yield literal.lineno, f"module constant {literal.value!r}"
    for node in ast.walk(tree):
        found: list[ast.Constant] = []
        if isinstance(node, ast.Compare) and any(map(_is_status, [node.left, *node.comparators])):
            for operand in [node.left, *node.comparators]:
                found += _literals(operand)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("in_", "not_in") and _is_status(func.value):
                for argument in node.args:
                    found += _literals(argument)
            for keyword in node.keywords:
                if keyword.arg in STATUS_NAMES:
                    found += _literals(keyword.value)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = (
                    zip(target.elts, node.value.elts, strict=False)
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                    else [(target, node.value)]
                )
                for left, right in pairs:
                    if _is_status(left):
                        found += _literals(right)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in STATUS_NAMES:
                    found += _literals(value)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "Literal"
        ):
            found += _literals(node.slice)
        for literal in found:
            yield literal.lineno, f"{type(node).__name__} with {literal.value!r}"


def _gateway_modules() -> Iterator[Path]:
    for path in sorted(GATEWAY.rglob("*.py")):
        if path != STATUS_MODULE and MIGRATIONS not in path.parents:
            yield path


def test_no_module_spells_a_status_as_a_bare_string() -> None:
    """Statuses are compared and written as ``gateway.model.status`` members, never as strings (the
    migrations, frozen history, keep theirs: the test above holds them to the enums)."""
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _gateway_modules()
        for line, what in bare_statuses(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_no_template_compares_a_status_to_a_bare_string() -> None:
    """Templates compare to the enums the desk hands them (``OrderStatus.ACCEPTED``)."""
    spelled = re.compile(
        r"""(?:status|outcome)\s*(?:==|!=|in)\s*[(\[]?\s*["'](\w+)["']|"equalto",\s*["'](\w+)["']"""
    )
    found = [
        f"{path.name}: {match.group(0)}"
        for path in sorted((GATEWAY / "web" / "templates").glob("*.html"))
        for match in spelled.finditer(path.read_text(encoding="utf-8"))
        if (match.group(1) or match.group(2)) in VALUES
    ]
    assert found == []


def test_the_scan_finds_what_it_is_for() -> None:
    """The scan above can fail: each way of spelling a status it looks for is found."""
    source = """
PENDING = "pending"
_OPEN = (ACCEPTED, "exception")
def f(row, order, outcome: Literal["retrying", "dead"]):
    if row.status == "sent" or outcome != "dead":
        row.status, row.errors = "invalid", []
    query.where(order.status.in_(("accepted", "exception")))
    store(status="held")
    return {"status": "rejected", "received": "processed"}
COLUMNS = ("code", "received", "expected")
"""
    assert sorted(line for line, _ in bare_statuses(source)) == [2, 3, 4, 5, 5, 6, 7, 7, 8, 9]


def test_no_module_spells_an_alert_kind_as_a_string() -> None:
    """Alerts are raised and compared with ``AlertKind`` members: no module of ``gateway/`` passes
    ``kind="delivery_dead"``, writes ``{"kind": "..."}`` or compares ``x.kind == "..."`` with a kind's value."""
    kinds = {member.value for member in AlertKind}

    def spelled(node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.keyword) and node.arg == "kind":
            return [node.value]
        if isinstance(node, ast.Dict):
            return [
                v
                for k, v in zip(node.keys, node.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "kind"
            ]
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Attribute)
            and node.left.attr == "kind"
        ):
            return list(node.comparators)
        return []

    found = [
        f"{path.relative_to(ROOT)}:{value.lineno}: {value.value!r}"
        for path in sorted(GATEWAY.rglob("*.py"))
        if path != STATUS_MODULE and MIGRATIONS not in path.parents
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for value in spelled(node)
        if isinstance(value, ast.Constant) and value.value in kinds
    ]
    assert found == []
