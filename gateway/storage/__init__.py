"""The store: SQLAlchemy models, engine and migrations, raw documents, control numbers, SSCCs, audit, layout hints.

Functions here take a session and never commit; the caller owns the unit of work.
"""

from ._audit import record_audit as record_audit
from ._config import data_home as data_home
from ._config import database_url as database_url
from ._config import sqlite_file as sqlite_file
from ._control_numbers import ControlNumbers as ControlNumbers
from ._control_numbers import allocate_control_number as allocate_control_number
from ._documents import document_bytes as document_bytes
from ._documents import open_document as open_document
from ._documents import safe_filename as safe_filename
from ._documents import store_document as store_document
from ._engine import MIGRATIONS as MIGRATIONS
from ._engine import make_engine as make_engine
from ._engine import make_sessionmaker as make_sessionmaker
from ._engine import retry_while_busy as retry_while_busy
from ._engine import upgrade as upgrade
from ._fit import fit_to_columns as fit_to_columns
from ._layout_hints import HINT_SUBJECT as HINT_SUBJECT
from ._layout_hints import confirm_hints as confirm_hints
from ._layout_hints import forget_hints as forget_hints
from ._layout_hints import hint_records as hint_records
from ._layout_hints import learn_hint as learn_hint
from ._layout_hints import learned_hints as learned_hints
from ._layout_hints import learned_hints_of as learned_hints_of
from ._models import Alert as Alert
from ._models import As2Message as As2Message
from ._models import As2SuspectMdn as As2SuspectMdn
from ._models import AuditEntry as AuditEntry
from ._models import Base as Base
from ._models import ControlCounter as ControlCounter
from ._models import CreditAccount as CreditAccount
from ._models import CustomerPartXref as CustomerPartXref
from ._models import DeskUser as DeskUser
from ._models import Document as Document
from ._models import DocumentChunk as DocumentChunk
from ._models import Finding as Finding
from ._models import InventoryLevel as InventoryLevel
from ._models import InvoiceRow as InvoiceRow
from ._models import LayoutHintRecord as LayoutHintRecord
from ._models import LoginFailure as LoginFailure
from ._models import MasterDataRevision as MasterDataRevision
from ._models import OrderLineRecord as OrderLineRecord
from ._models import OrderOverride as OrderOverride
from ._models import OutboundRecord as OutboundRecord
from ._models import PriceAgreement as PriceAgreement
from ._models import Product as Product
from ._models import PurchaseOrder as PurchaseOrder
from ._models import ShipmentRow as ShipmentRow
from ._models import ShippedLine as ShippedLine
from ._models import ShipTo as ShipTo
from ._models import Sscc as Sscc
from ._models import TransportStatus as TransportStatus
from ._sscc import allocate_sscc as allocate_sscc
from ._sscc import claim_sscc as claim_sscc
