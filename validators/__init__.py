"""Business validation: a canonical order plus master data and a partner's policy -> findings.

``validate(order, context)`` runs the checks (item identity, price agreement, credit, stock,
order rules) and returns the order with any auto-fixes applied, its findings, and the outcome
the policy gives them. Reading master data and live figures from the store is the caller's job.

A lazy front door (``gateway._lazy``): an export's module is imported when its name is first used.
A partner profile needs only the policy models (``ValidationPolicy``, ``PriceTolerance``), so
loading the profiles (``gateway status``, ``partners check``) loads neither the master data with
python-stdnum and rapidfuzz nor the checks and the canonical order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

if TYPE_CHECKING:
    from ._context import ValidationContext as ValidationContext
    from ._context import money as money
    from ._findings import Action as Action
    from ._findings import Finding as Finding
    from ._findings import FindingCode as FindingCode
    from ._findings import Suggestion as Suggestion
    from ._findings import code_for_parse_issue as code_for_parse_issue
    from ._master import Customer as Customer
    from ._master import MasterData as MasterData
    from ._master import PriceRule as PriceRule
    from ._master import Product as Product
    from ._master import gtin14 as gtin14
    from ._policy import PriceTolerance as PriceTolerance
    from ._policy import ValidationPolicy as ValidationPolicy
    from ._validate import ValidationResult as ValidationResult
    from ._validate import validate as validate

__getattr__, __dir__ = front_door(__name__, __file__)
