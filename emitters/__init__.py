"""Canonical objects -> outbound documents: 997/999/TA1, 855, 865, 856, 810, 846 and ERP payloads.

Each kind is a module with one ``emit(obj, partner, *, numbers, when) -> OutboundDocument``.
A lazy front door (``gateway._lazy``): an emitter is imported when its kind is first written, so
an X12 ingest that answers with a 997 loads no 856, 810 or ERP emitter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door
from gateway.errors import EnvelopeError as EnvelopeError
from gateway.errors import ErpPayloadError as ErpPayloadError

if TYPE_CHECKING:
    from . import erp_business_central as erp_business_central
    from . import erp_canonical as erp_canonical
    from . import erp_fortnox as erp_fortnox
    from . import erp_netsuite as erp_netsuite
    from . import erp_quickbooks_online as erp_quickbooks_online
    from . import erp_sage_intacct as erp_sage_intacct
    from . import erp_sap_business_one as erp_sap_business_one
    from . import erp_visma_net as erp_visma_net
    from . import x12_810 as x12_810
    from . import x12_846 as x12_846
    from . import x12_855 as x12_855
    from . import x12_856 as x12_856
    from . import x12_865 as x12_865
    from . import x12_997 as x12_997
    from . import x12_999 as x12_999
    from . import x12_ta1 as x12_ta1
    from ._erp import apply_field_map as apply_field_map
    from ._erp import idempotency_key as idempotency_key
    from ._erp import json_bytes as json_bytes
    from ._outbound import ControlNumberSource as ControlNumberSource
    from ._outbound import OutboundDocument as OutboundDocument

__getattr__, __dir__ = front_door(__name__, __file__)
