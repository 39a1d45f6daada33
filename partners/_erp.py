"""The ``[erp]`` table of a partner profile: which ERP its orders (or one customer's) go to, and how.

A target names its kind, URL, the environment variables that hold its credentials (never the
secret itself), an optional field map and its retry policy. ``[erp]`` is the partner's own target;
``[erp.customers."CUST-7"]`` sends the orders of one bill-to / sold-to account elsewhere. A
partner with neither goes to the gateway's default ERP (``GATEWAY_ERP_*``), named ``default``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

if TYPE_CHECKING:
    from gateway.model.order import Order

DEFAULT_TARGET = "default"  # the target of GATEWAY_ERP_*; no profile may take the name
ErpKind = Literal[
    "erp.canonical",
    "erp.netsuite",
    "erp.business_central",
    "erp.sap_business_one",
    "erp.quickbooks_online",
    "erp.sage_intacct",
    "erp.fortnox",
    "erp.visma_net",
]
ERP_CREDENTIALS: dict[str, tuple[str, ...]] = {  # kind -> the credentials it cannot be sent without
    "erp.sap_business_one": ("user", "password", "company"),
    "erp.sage_intacct": ("user", "password", "company", "sender_id", "sender_password"),
    "erp.quickbooks_online": ("token",),
    "erp.fortnox": ("token",),
    "erp.visma_net": ("token",),
}
_ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
# The party roles that name the customer, first match wins: bill-to, then sold-to (N1 SO or BY).
CUSTOMER_ROLES = ("BT", "SO", "BY")
SOLD_TO_ROLES = ("SO", "BY")


class ErpFieldMap(BaseModel):
    """Which canonical field becomes the ERP's customer reference and item code."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    customer_reference: Literal["customer_account", "bill_to", "sold_to"] = Field(
        default="customer_account",
        description="the profile's customer_account, or the id of the order's bill-to (N1 BT) or sold-to "
        "(N1 SO, else BY) party",
    )
    item_code: Literal["sku", "vendor_sku", "buyer_part", "upc"] = Field(
        default="sku", description="sku: the catalog SKU validation resolved (else the vendor SKU)"
    )


class ErpTarget(BaseModel):
    """One ERP the gateway delivers to: where, as what, with which credentials and retry policy."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=40)
    kind: ErpKind
    url: str = Field(pattern=r"^https?://[^\s]+$")
    token_env: str | None = Field(default=None, pattern=_ENV_NAME)
    user_env: str | None = Field(default=None, pattern=_ENV_NAME)
    password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    company_env: str | None = Field(default=None, pattern=_ENV_NAME)
    sender_id_env: str | None = Field(default=None, pattern=_ENV_NAME)
    sender_password_env: str | None = Field(default=None, pattern=_ENV_NAME)
    field_map: ErpFieldMap = Field(default_factory=ErpFieldMap)
    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_seconds: float = Field(default=30.0, gt=0)
    backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    timeout_seconds: float = Field(default=20.0, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> ErpTarget:
        if self.name == DEFAULT_TARGET:
            raise ValueError(f"the target name {DEFAULT_TARGET!r} is the GATEWAY_ERP_* default's")
        missing = [
            f"{need}_env" for need in ERP_CREDENTIALS.get(self.kind, ()) if not getattr(self, f"{need}_env")
        ]
        if missing:
            raise ValueError(
                f"an ERP target of kind {self.kind} needs {', '.join(missing)} (the environment variables)"
            )
        if self.kind == "erp.quickbooks_online" and self.url.rstrip("/").rsplit("/", 1)[-1] not in (
            "estimate",
            "salesreceipt",
        ):
            raise ValueError("a QuickBooks Online url must end in /estimate or /salesreceipt")
        return self


class ErpRouting(BaseModel):
    """The ``[erp]`` table: the partner's own target (its keys at the top) and per-customer targets."""

    model_config = ConfigDict(defer_build=True, frozen=True, extra="forbid")

    target: ErpTarget | None = None
    customers: dict[str, ErpTarget] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _own_target(cls, data: object) -> object:
        """``[erp]``'s own keys (name, kind, url ...) are the partner's target."""
        if isinstance(data, dict) and "target" not in data:
            own = {key: value for key, value in data.items() if key != "customers"}
            rest = {key: value for key, value in data.items() if key == "customers"}
            return {**rest, "target": own} if own else rest
        return data

    @model_validator(mode="after")
    def _names(self) -> ErpRouting:
        if self.target is None and not self.customers:
            raise ValueError('[erp] names no target: give name, kind and url, or [erp.customers."ACCOUNT"]')
        seen: dict[str, ErpTarget] = {}
        for target in self.targets():
            if seen.setdefault(target.name, target) != target:
                raise ValueError(f"two different ERP targets are named {target.name!r}")
        return self

    def targets(self) -> list[ErpTarget]:
        return [*([self.target] if self.target else []), *self.customers.values()]

    def named(self, name: str) -> ErpTarget | None:
        return next((target for target in self.targets() if target.name == name), None)

    def route(self, order: Order, customer_account: str) -> ErpTarget | None:
        """The target of ``order``: its bill-to / sold-to account's, else the partner's own (None: the default)."""
        for role in CUSTOMER_ROLES:
            party = order.party(role)
            if party is not None and party.id and party.id in self.customers:
                return self.customers[party.id]
        return self.customers.get(customer_account) or self.target
