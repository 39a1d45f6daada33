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
POLLED_KINDS: frozenset[str] = frozenset({"amazon", "walmart"})  # these we poll (``[channel.poll]``)
AMAZON_API_URL = "https://sellingpartnerapi-na.amazon.com"
AMAZON_LWA_URL = "https://api.amazon.com"
WALMART_API_URL = "https://marketplace.walmartapis.com"
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class MarketplacePoll(BaseModel):
    """``[channel.poll]``: how an Amazon or Walmart account is polled. Each secret is named by the
    environment variable holding it, read when a token is asked for."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    client_id_env: str = Field(pattern=_ENV_NAME, description="variable holding the LWA / Walmart client id")
    client_secret_env: str = Field(pattern=_ENV_NAME, description="variable holding the client secret")
    refresh_token_env: str | None = Field(
        default=None, pattern=_ENV_NAME, description="Amazon: the LWA refresh token's variable"
    )
    marketplace_ids: list[str] = Field(default_factory=list, description="Amazon: MarketplaceIds to ask for")
    api_url: str | None = Field(
        default=None, description="the API's base URL (default: the vendor's, North America)"
    )
    lwa_url: str = Field(default=AMAZON_LWA_URL, description="Amazon: the LWA base URL (/auth/o2/token)")
    service_name: str = Field(default="Walmart Marketplace", description="Walmart: WM_SVC.NAME")
    poll_seconds: float = Field(default=300, gt=0)
    lookback_hours: float = Field(
        default=24, gt=0, description="the first poll asks for orders this far back"
    )
    overlap_seconds: float = Field(
        default=300, ge=0, description="each poll asks again this far before its cursor (late-visible orders)"
    )
    page_size: int = Field(default=100, ge=1, le=200)
    timeout_seconds: float = Field(default=30, gt=0)
    max_attempts: int = Field(
        default=6, ge=1, description="tries per request on 429, 5xx or a lost connection"
    )
    max_backoff_seconds: float = Field(default=120, gt=0)


class ChannelLink(BaseModel):
    """Which shop or marketplace the partner is, and how its orders are read.

    ``secret_env`` names the variable holding the webhook secret (Shopify's app secret,
    WooCommerce's webhook secret); a webhook channel must name one. ``uom`` is the unit a channel
    quantity is counted in when the order itself names none (Shopify, WooCommerce and Amazon sell
    a listing's units). ``own_skus``: the channel's SKUs are our catalog SKUs, tried before the
    cross-reference (``xref``); off, a channel SKU is only looked up in the cross-reference.
    ``poll``: how a marketplace (Amazon, Walmart) is polled; without it, its orders come only by
    ``gateway ingest`` or the drop folder.
    """

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    kind: ChannelKind
    secret_env: str | None = Field(default=None, pattern=_ENV_NAME)
    uom: str = Field(default="EA", pattern=r"^[A-Z0-9]{1,8}$")
    own_skus: bool = False
    poll: MarketplacePoll | None = None

    @model_validator(mode="after")
    def _webhook_secret(self) -> ChannelLink:
        if self.kind in WEBHOOK_KINDS and self.secret_env is None:
            raise ValueError(
                f"a {self.kind} channel needs secret_env: the environment variable holding its webhook secret"
            )
        if self.kind not in POLLED_KINDS and self.poll is not None:
            raise ValueError(f"a {self.kind} channel sends webhooks: it is not polled ([channel.poll])")
        if self.kind == "amazon" and self.poll is not None:
            if not self.poll.refresh_token_env:
                raise ValueError("an Amazon channel needs poll.refresh_token_env (the LWA refresh token)")
            if not self.poll.marketplace_ids:
                raise ValueError("an Amazon channel needs poll.marketplace_ids, e.g. ['ATVPDKIKX0DER']")
        return self
