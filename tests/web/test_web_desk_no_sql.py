"""The web layer writes no SQL: every desk read lives in a read model under ``gateway/desk/``.

A scan of ``gateway/web/``'s source (AST, not grep, so strings and comments do not count): no
SQLAlchemy import beyond the ``Session``/``sessionmaker`` types, no ``execute``/``scalar``/
``scalars``/``query`` call, and no ``session.get(Model, key)`` lookup of a stored row.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

WEB = ROOT / "gateway" / "web"
TYPES = {"sqlalchemy.orm": {"Session", "sessionmaker"}}  # annotations only: what a view is handed
RUNS_SQL = {"execute", "scalar", "scalars", "query"}  # on whatever runs them: a session, db()
BUILDS_SQL = {"select", "text"}  # SQLAlchemy's own functions, not another object's method of that name
ALLOWED: dict[str, str] = {}  # "path:line" -> why; none is needed


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each piece of SQL or ORM lookup in ``source``."""
    tree = ast.parse(source)
    models = {"storage"}  # names a stored row's class is reached by: the package, and its classes
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "gateway.storage" or node.module.startswith("gateway.storage."):
                models.update(alias.asname or alias.name for alias in node.names)
            if node.module.split(".")[0] == "sqlalchemy":
                allowed = TYPES.get(node.module, set())
                found += [
                    (node.lineno, f"from {node.module} import {a.name}")
                    for a in node.names
                    if a.name not in allowed
                ]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, f"import {a.name}") for a in node.names if a.name.split(".")[0] == "sqlalchemy"
            ]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        own_function = not isinstance(node.func, ast.Attribute) or (
            isinstance(node.func.value, ast.Name) and node.func.value.id in ("sqlalchemy", "sa")
        )
        if name in RUNS_SQL or (name in BUILDS_SQL and own_function):
            found.append((node.lineno, f"{name}(...)"))
        elif name == "get" and node.args and _names_a_model(node.args[0], models):
            found.append((node.lineno, f"get({ast.unparse(node.args[0])}, ...)"))
    return sorted(found)


def _names_a_model(node: ast.expr, models: set[str]) -> bool:
    """``storage.Document`` or ``DeskUser`` (imported from gateway.storage): a stored row's class."""
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id in models
    return isinstance(node, ast.Name) and node.id in models and node.id != "storage"


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select\n",
        "import sqlalchemy\n",
        "from sqlalchemy.orm import defer\n",
        "rows = session.scalars(query)\n",
        "n = db().scalar(found)\n",
        "session.execute(statement)\n",
        "from gateway import storage\nfound = session.get(storage.Document, 1)\n",
        "from gateway.storage import DeskUser\nfound = db().get(DeskUser, 1)\n",
        "found = select(storage.Document)\n",
        "found = sa.text('select 1')\n",
    ],
)
def test_the_scan_sees_sql_and_orm_lookups(source: str) -> None:
    assert offences(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy.orm import Session\n",
        'user_id = session.get("user")\n',
        'status = request.args.get("status", "")\n',
        "profile = services().partners.get(name)\n",
        '"select(x) in a docstring"\n',
        'reply = Reply.text(413, "too large")\n',
    ],
)
def test_the_scan_lets_types_and_other_lookups_be(source: str) -> None:
    assert offences(source) == []


def test_the_web_layer_holds_no_sql() -> None:
    sources = sorted(WEB.rglob("*.py"))
    assert sources, WEB
    found = [
        f"{path.relative_to(WEB.parent.parent)}:{line}: {what}"
        for path in sources
        for line, what in offences(path.read_text(encoding="utf-8"))
        if f"{path.relative_to(WEB.parent.parent)}:{line}" not in ALLOWED
    ]
    assert found == [], "SQL in gateway/web/; move it to a read model in gateway/desk/:\n" + "\n".join(found)
