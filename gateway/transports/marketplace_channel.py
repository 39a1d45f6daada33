"""What polling one marketplace account needs: the partner it trades as, its API, and its secrets' names.

``MarketplaceChannel`` has the keys the partner profile's ``[channel]`` table is to carry for
``kind = "amazon"`` and ``kind = "walmart"`` (that table is being written on another branch);
until it is merged, ``gateway.config.marketplace_channels_from_environment`` builds one per
marketplace from ``GATEWAY_AMAZON_*`` and ``GATEWAY_WALMART_*``. Secrets never sit here: each is
named by the environment variable holding it, and read when a token is asked for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

from gateway.errors import ConfigError

AMAZON_API_URL = "https://sellingpartnerapi-na.amazon.com"
AMAZON_LWA_URL = "https://api.amazon.com"
WALMART_API_URL = "https://marketplace.walmartapis.com"


class MarketplaceChannel(BaseModel):
    """One marketplace account polled for orders, stored as ``partner``'s documents."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["amazon", "walmart"]
    partner: str = Field(min_length=1, max_length=64, description="the partner profile the orders belong to")
    client_id_env: str = Field(description="environment variable holding the LWA / Walmart client id")
    client_secret_env: str = Field(description="environment variable holding the client secret")
    refresh_token_env: str | None = Field(
        default=None, description="Amazon: the LWA refresh token's variable"
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

    @model_validator(mode="after")
    def _what_the_kind_needs(self) -> MarketplaceChannel:
        if self.kind == "amazon" and not self.refresh_token_env:
            raise ValueError("an Amazon channel needs refresh_token_env (the LWA refresh token)")
        if self.kind == "amazon" and not self.marketplace_ids:
            raise ValueError("an Amazon channel needs marketplace_ids, e.g. ['ATVPDKIKX0DER']")
        return self

    @property
    def base_url(self) -> str:
        default = AMAZON_API_URL if self.kind == "amazon" else WALMART_API_URL
        return (self.api_url or default).rstrip("/")

    def secret(self, variable: str, environ: Mapping[str, str] | None = None) -> str:
        """The value of the environment variable ``variable``; unset or empty is a ``ConfigError``."""
        value = (os.environ if environ is None else environ).get(variable, "")
        if not value:
            raise ConfigError(
                f"{self.kind} channel of {self.partner}: environment variable {variable} is not set"
            )
        return value
