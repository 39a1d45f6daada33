"""What polling one marketplace account needs: the partner it trades as, and its profile's
``[channel.poll]`` table (its API, and its secrets' names).

Secrets never sit here: each is named by the environment variable holding it, and read when a
token is asked for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Literal

from pydantic import Field

from gateway.errors import ConfigError
from partners import AMAZON_API_URL
from partners import WALMART_API_URL
from partners import MarketplacePoll

if TYPE_CHECKING:
    from partners import PartnerRegistry


class MarketplaceChannel(MarketplacePoll):
    """One marketplace account polled for orders, stored as ``partner``'s documents."""

    kind: Literal["amazon", "walmart"]
    partner: str = Field(min_length=1, max_length=64, description="the partner profile the orders belong to")

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


def marketplace_channels(partners: PartnerRegistry) -> list[MarketplaceChannel]:
    """Every polled marketplace account: each profile whose ``[channel]`` is Amazon or Walmart."""
    return [
        MarketplaceChannel.model_validate(
            {"kind": profile.channel.kind, "partner": profile.name, **profile.channel.poll.model_dump()}
        )
        for profile in partners
        if profile.channel is not None and profile.channel.poll is not None
    ]
