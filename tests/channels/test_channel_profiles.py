"""A channel is a partner profile: no ISA identities needed, secrets named by variable, credit off by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from partners import PROFILES_DIR
from partners import ChannelLink
from partners import PartnerProfile
from partners import PartnerRegistry
from partners import ProfileError
from partners import load_profile

SHOP: dict[str, Any] = {
    "name": "shop",
    "customer_account": "C9001",
    "channel": {"kind": "shopify", "secret_env": "SHOPIFY_SECRET_SHOP"},
}
EDI: dict[str, Any] = {
    "name": "edi",
    "customer_account": "C1",
    "isa": {"qualifier": "ZZ", "id": "EDI"},
    "us": {"qualifier": "ZZ", "id": "US"},
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(text)
    return path


def test_a_channel_needs_no_isa_and_has_credit_off() -> None:
    profile = PartnerProfile.model_validate(SHOP)
    assert profile.isa is None and profile.us is None
    assert profile.channel is not None and profile.channel.kind == "shopify"
    assert profile.validation.credit is False
    assert PartnerProfile.model_validate(EDI).validation.credit is True
    built = PartnerProfile(name="amz", customer_account="C9", channel=ChannelLink(kind="amazon"))
    assert built.validation.credit is False  # also when built in code, not read from a file


def test_credit_can_be_turned_on_for_a_channel_and_other_rules_stay() -> None:
    on = PartnerProfile.model_validate({**SHOP, "validation": {"credit": True, "horizon_days": 30}})
    assert on.validation.credit is True and on.validation.horizon_days == 30
    kept = PartnerProfile.model_validate({**SHOP, "validation": {"horizon_days": 30}})
    assert kept.validation.credit is False and kept.validation.horizon_days == 30


def test_an_edi_profile_still_needs_its_identities(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "edi"\ncustomer_account = "C1"\nus = { qualifier = "ZZ", id = "US" }\n')
    with pytest.raises(ProfileError, match="isa required: an EDI partner needs its ISA identities"):
        load_profile(path)


def test_a_secret_is_named_never_written(tmp_path: Path) -> None:
    inline = 'name = "s"\ncustomer_account = "C"\n[channel]\nkind = "shopify"\nsecret = "shpss_abc"\n'
    with pytest.raises(ProfileError, match=r"channel\.secret: Extra inputs are not permitted"):
        load_profile(write(tmp_path, inline))
    unnamed = 'name = "s"\ncustomer_account = "C"\n[channel]\nkind = "woocommerce"\n'
    with pytest.raises(ProfileError, match="needs secret_env"):
        load_profile(write(tmp_path, unnamed))
    bad_name = 'name = "s"\ncustomer_account = "C"\n[channel]\nkind = "shopify"\nsecret_env = "not a name"\n'
    with pytest.raises(ProfileError, match=r"channel\.secret_env"):
        load_profile(write(tmp_path, bad_name))
    # a marketplace polled by its API has no webhook secret
    assert load_profile(write(tmp_path, 'name = "a"\ncustomer_account = "C"\n[channel]\nkind = "amazon"\n'))


def test_the_demo_channel_profile_loads_beside_the_edi_partners() -> None:
    registry = PartnerRegistry.from_directory(PROFILES_DIR)
    assert registry.refused == []
    shop = registry.get("northwind-shop")
    assert (
        shop is not None
        and shop.channel is not None
        and shop.channel.secret_env == "SHOPIFY_SECRET_NORTHWIND"
    )
    acme = registry.get("acme")
    assert acme is not None and acme.isa is not None
    assert registry.by_x12_sender(acme.isa.qualifier, acme.isa.id, acme.isa.gs_id) == acme


def test_two_channels_without_isa_do_not_clash() -> None:
    registry = PartnerRegistry(
        [PartnerProfile.model_validate(SHOP), PartnerProfile.model_validate({**SHOP, "name": "shop2"})]
    )
    assert len(registry) == 2
