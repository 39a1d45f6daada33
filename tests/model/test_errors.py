"""The exception tree: every public error class descends from GatewayError, and the drawing names each."""

from __future__ import annotations

import ast
import importlib

import pytest

from gateway import errors
from gateway.desk import _errors as desk_errors
from tests.conftest import ROOT

PACKAGES = ("gateway", "parsers", "validators", "emitters", "partners")


def _public_exception_classes() -> list[tuple[str, str]]:
    """(module, class) for every public class in the packages whose bases look like an exception."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in tree.body:
                if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                    continue
                bases = [ast.unparse(base) for base in node.bases]
                if any(base.endswith(("Error", "Exception", "Refused", "Refusal")) for base in bases) or any(
                    base.split(".")[-1] in ("InboundError", "GatewayError", "DeskError") for base in bases
                ):
                    found.append((module, node.name))
    return found


CLASSES = _public_exception_classes()


def test_the_scan_finds_the_known_errors() -> None:
    names = {name for _, name in CLASSES}
    assert {
        "ProfileError",
        "OverBudget",
        "OcrRefusal",
        "AsnError",
        "PermissionDenied",
        "TransportError",
    } <= names


@pytest.mark.parametrize(("module", "name"), CLASSES, ids=[f"{m}.{n}" for m, n in CLASSES])
def test_every_public_error_is_a_gateway_error(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, errors.GatewayError), f"{module}.{name} bases: {cls.__mro__[1:]}"


def test_the_drawn_trees_name_every_gateway_error() -> None:
    drawn = f"{errors.__doc__}\n{desk_errors.__doc__}"
    for module, name in CLASSES:
        assert f" {name} " in drawn.replace("\n", " "), (
            f"{module}.{name} is not drawn in gateway.errors or gateway.desk._errors"
        )


def test_pure_packages_raise_errors_a_caller_catches_without_value_error() -> None:
    from emitters import EnvelopeError
    from emitters import ErpPayloadError
    from partners import ProfileError

    for cls in (EnvelopeError, ErpPayloadError, ProfileError):
        assert not issubclass(cls, ValueError), cls
    assert issubclass(ProfileError, errors.ConfigError)
