"""One schema, not two: the Core tables hold every column, and the ORM classes are mapped onto them.

``gateway.storage.tables`` is written once; ``gateway.storage._models`` declares each class on its
table (``class X(_Base, table="x")``) and only types its attributes. These checks fail when a column is
restated in the ORM, left untyped, or typed with a nullability its column does not have.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from sqlalchemy import inspect

from gateway.storage import _models
from gateway.storage import tables
from tests.conftest import ROOT

MODELS = sorted(
    (mapper.class_ for mapper in _models.Base.registry.mappers), key=lambda cls: cls.__table__.name
)


def test_the_orm_maps_the_core_metadata() -> None:
    """Every table has its class, and the classes' metadata is the tables' (what Alembic compares)."""
    assert _models.Base.metadata is tables.metadata
    assert sorted(cls.__table__.name for cls in MODELS) == sorted(tables.metadata.tables)


@pytest.mark.parametrize("model", MODELS, ids=[cls.__name__ for cls in MODELS])
def test_each_class_types_exactly_its_tables_columns(model: type[_models.Base]) -> None:
    """Each column has one ``Mapped[...]`` annotation, ``| None`` exactly where the column is nullable,
    and the mapper's column is the table's own object (not a copy)."""
    table = model.__table__
    assert table is tables.metadata.tables[table.name]
    hints = typing.get_type_hints(model, vars(_models))
    annotated = {name for name in vars(model).get("__annotations__", {}) if not name.startswith("__")}
    assert annotated == set(table.c.keys())
    mapper = inspect(model)
    for column in table.c:
        assert mapper.columns[column.key] is column
        (inner,) = typing.get_args(hints[column.key])  # Mapped[X]
        optional = type(None) in typing.get_args(inner)
        assert optional == (column.nullable and not column.primary_key), column.key


def test_no_class_restates_a_column() -> None:
    """The classes' bodies hold a docstring and bare annotations: no
    ``mapped_column``, ``Column`` or ``__table_args__`` (those belong to the table)."""
    source = Path(_models.__file__).read_text(encoding="utf-8")
    restated = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef) or node.name == "_Base":
            continue
        for statement in node.body:
            bare = isinstance(statement, ast.AnnAssign) and statement.value is None
            table = isinstance(statement, ast.Assign) and ast.unparse(statement.targets[0]) == "__table__"
            docstring = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            if not (bare or table or docstring):
                restated.append(f"{node.name}: line {statement.lineno}")
    assert restated == []


def test_the_tables_load_no_orm() -> None:
    """Importing the schema loads SQLAlchemy's core only; the control: the mapped classes load the ORM."""
    probe = (
        "import sys, json; import gateway.storage.tables; before = 'sqlalchemy.orm' in sys.modules; "
        "import gateway.storage._models; print(json.dumps([before, 'sqlalchemy.orm' in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[false, true]"


def test_each_declared_table_has_its_builder_and_name() -> None:
    """The names declared at the top of tables.py are the tables built below, each under its own name."""
    declared = {name for name, kind in tables.__annotations__.items() if kind == "Table"}
    assert declared == set(tables._BUILDERS) == set(tables.metadata.tables)
    for name in declared:
        assert getattr(tables, name) is tables.metadata.tables[name]
    with pytest.raises(AttributeError, match="no attribute 'not_a_table'"):
        getattr(tables, "not_a_table")  # noqa: B009


def test_a_table_is_built_on_first_use_with_those_its_keys_name() -> None:
    """In a fresh process: importing builds no table; a look-up builds that table and the tables its
    foreign keys name (so a join without ON finds them); ``metadata`` builds every one."""
    probe = (
        "import json; from gateway.storage import tables; built = lambda: sorted(tables._metadata.tables); "
        "steps = [built()]; tables.finding; steps.append(built()); "
        "steps.append(len(tables.metadata.tables)); print(json.dumps(steps))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    targets = sorted({key.column.table.name for key in tables.finding.foreign_keys} | {"finding"})
    assert targets == ["document", "finding", "purchase_order"]  # the control: finding names two tables
    assert json.loads(done.stdout) == [[], targets, len(tables._BUILDERS)]


def test_the_schema_loads_no_dialect() -> None:
    """Every table built, neither SQLite's nor PostgreSQL's dialect is imported (a store loads its own);
    the control: SQLite's search index still compiles partial, and only for SQLite."""
    probe = (
        "import sys, json; from gateway.storage import tables; tables.metadata; "
        "print(json.dumps([m for m in ('sqlalchemy.dialects.sqlite', 'sqlalchemy.dialects.postgresql') if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex

    (search,) = [index for index in tables.document.indexes if index.name == "ix_document_queue_search"]
    assert str(CreateIndex(search).compile(dialect=sqlite.dialect())).endswith("WHERE tallied_as IS NOT NULL")
    assert search._ddl_if is not None and search._ddl_if.dialect == "sqlite"
