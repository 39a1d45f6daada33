"""The ``[erp]`` table of a partner profile: a bad one refuses the profile with a specific error."""

from __future__ import annotations

from pathlib import Path

import pytest

from partners import ProfileError
from partners import load_profile

HEAD = """name = "edi"
customer_account = "C1"
isa = { qualifier = "ZZ", id = "EDI" }
us = { qualifier = "ZZ", id = "US" }
"""
NETSUITE = '[erp]\nname = "ns-us"\nkind = "erp.netsuite"\nurl = "https://ns.example/salesOrder"\n'


def load(tmp_path: Path, table: str) -> object:
    path = tmp_path / "edi.toml"
    path.write_text(HEAD + table)
    return load_profile(path)


def test_own_and_per_customer_targets_load(tmp_path: Path) -> None:
    table = NETSUITE + (
        'token_env = "NS_TOKEN"\nfield_map = { customer_reference = "sold_to", item_code = "vendor_sku" }\n'
        '[erp.customers."CUST-7"]\nname = "fortnox-se"\nkind = "erp.fortnox"\n'
        'url = "https://api.fortnox.se/3/orders"\ntoken_env = "ACME_FORTNOX_TOKEN"\nmax_attempts = 3\n'
    )
    profile = load(tmp_path, table)
    erp = profile.erp  # type: ignore[attr-defined]
    assert erp.target.name == "ns-us" and erp.target.field_map.item_code == "vendor_sku"
    assert erp.customers["CUST-7"].max_attempts == 3 and erp.named("fortnox-se") is erp.customers["CUST-7"]


@pytest.mark.parametrize(
    ("table", "error"),
    [
        (NETSUITE + 'token = "abc"\n', "erp.target.token: Extra inputs are not permitted"),
        (
            NETSUITE + 'field_map = { item = "sku" }\n',
            "erp.target.field_map.item: Extra inputs are not permitted",
        ),
        (
            NETSUITE + 'field_map = { item_code = "gtin" }\n',
            "erp.target.field_map.item_code: Input should be",
        ),
        (NETSUITE.replace("erp.netsuite", "erp.oracle"), "erp.target.kind: Input should be"),
        (
            NETSUITE.replace('"ns-us"', '"default"'),
            "the target name 'default' is the GATEWAY_ERP_* default's",
        ),
        (
            NETSUITE.replace("erp.netsuite", "erp.fortnox"),
            "an ERP target of kind erp.fortnox needs token_env",
        ),
        (NETSUITE + 'token_env = "acme token"\n', "erp.target.token_env: String should match pattern"),
        (NETSUITE.replace("https://", "ftp://"), "erp.target.url: String should match pattern"),
        ("[erp]\n", "[erp] names no target"),
        (
            NETSUITE
            + '[erp.customers."C7"]\nname = "ns-us"\nkind = "erp.canonical"\nurl = "https://x.example/"\n',
            "two different ERP targets are named 'ns-us'",
        ),
    ],
)
def test_a_bad_erp_table_refuses_the_profile(tmp_path: Path, table: str, error: str) -> None:
    with pytest.raises(ProfileError) as refused:
        load(tmp_path, table)
    assert error in str(refused.value)


def test_the_kinds_a_target_may_name_are_the_erp_emitters() -> None:
    from typing import get_args

    from gateway.outbound.outbox import ERP_KINDS
    from partners._erp import ErpKind

    assert set(get_args(ErpKind)) == set(ERP_KINDS)


def test_one_target_name_is_one_erp_across_profiles(tmp_path: Path) -> None:
    """Two profiles may share a target by repeating it; the same name with other keys is refused."""
    from partners import PartnerRegistry

    for name, url in (("a", "https://ns.example/salesOrder"), ("b", "https://ns.example/salesOrder"), ("c", "https://other.example/")):  # fmt: skip
        head = HEAD.replace('"edi"', f'"{name}"').replace('id = "EDI"', f'id = "EDI{name.upper()}"')
        (tmp_path / f"{name}.toml").write_text(head + NETSUITE.replace("https://ns.example/salesOrder", url))
    registry = PartnerRegistry.from_directory(tmp_path)
    assert [p.name for p in registry] == ["a", "b"]
    [refused] = registry.refused
    assert refused.path.name == "c.toml"
    assert "ERP target 'ns-us' is defined differently in profile 'a'" in refused.error
