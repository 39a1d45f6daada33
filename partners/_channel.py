"""The ``[channel]`` table: a web shop or marketplace as a partner (Shopify, WooCommerce, Amazon, Walmart).

A channel sends JSON orders, not X12, so its profile needs no ISA identities. Its secrets are
named by the environment variable that holds them, never written in the profile.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

ChannelKind = Literal["shopify", "woocommerce", "amazon", "walmart"]
WEBHOOK_KINDS: frozenset[str] = frozenset({"shopify", "woocommerce"})  # these push signed webhooks to us
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ChannelLink(BaseModel):
    """Which shop or marketplace the partner is, and how its orders are read.

    ``secret_env`` names the variable holding the webhook secret (Shopify's app secret,
    WooCommerce's webhook secret); a webhook channel must name one. ``uom`` is the unit a channel
    quantity is counted in when the order itself names none (Shopify, WooCommerce and Amazon sell
    a listing's units). ``own_skus``: the channel's SKUs are our catalog SKUs, tried before the
    cross-reference (``xref``); off, a channel SKU is only looked up in the cross-reference.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    kind: ChannelKind
    secret_env: str | None = Field(default=None, pattern=_ENV_NAME)
    uom: str = Field(default="EA", pattern=r"^[A-Z0-9]{1,8}$")
    own_skus: bool = False

    @model_validator(mode="after")
    def _webhook_secret(self) -> ChannelLink:
        if self.kind in WEBHOOK_KINDS and self.secret_env is None:
            raise ValueError(
                f"a {self.kind} channel needs secret_env: the environment variable holding its webhook secret"
            )
        return self
