"""The store: SQLAlchemy models, engine and migrations, raw documents, control numbers, SSCCs, audit, layout hints, poll cursors.

Functions here take a session and never commit; the caller owns the unit of work.

The package is a lazy front door (``gateway._lazy``): an export's module is imported when the name
is first used. ``storage.tables`` (SQLAlchemy core only) is the schema, and a command that only
reads the store queries it without loading SQLAlchemy's ORM or the mapped classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

if TYPE_CHECKING:
    from . import tables as tables
    from ._audit import record_audit as record_audit
    from ._bulk import insert_rows as insert_rows
    from ._config import data_home as data_home
    from ._config import database_url as database_url
    from ._config import sqlite_file as sqlite_file
    from ._control_numbers import ControlNumbers as ControlNumbers
    from ._control_numbers import allocate_control_number as allocate_control_number
    from ._documents import document_bytes as document_bytes
    from ._documents import earlier_interchange as earlier_interchange
    from ._documents import open_document as open_document
    from ._documents import safe_filename as safe_filename
    from ._documents import store_document as store_document
    from ._engine import MIGRATIONS as MIGRATIONS
    from ._engine import conflict_insert as conflict_insert
    from ._engine import make_engine as make_engine
    from ._engine import make_sessionmaker as make_sessionmaker
    from ._engine import reading as reading
    from ._engine import retry_while_busy as retry_while_busy
    from ._engine import upgrade as upgrade
    from ._fit import fit_to_columns as fit_to_columns
    from ._json import JsonText as JsonText
    from ._kpi_tally import duration_bucket as duration_bucket
    from ._kpi_tally import recount_kpis as recount_kpis
    from ._kpi_tally import tally_ack as tally_ack
    from ._kpi_tally import tally_erp_delivery as tally_erp_delivery
    from ._kpi_tally import tally_kpi as tally_kpi
    from ._kpi_tally import tally_shipment as tally_shipment
    from ._layout_hints import HINT_SUBJECT as HINT_SUBJECT
    from ._layout_hints import confirm_hints as confirm_hints
    from ._layout_hints import forget_hints as forget_hints
    from ._layout_hints import hint_records as hint_records
    from ._layout_hints import learn_hint as learn_hint
    from ._layout_hints import learned_hints as learned_hints
    from ._layout_hints import learned_hints_of as learned_hints_of
    from ._models import Alert as Alert
    from ._models import AlertNotification as AlertNotification
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
    from ._models import KpiDayTally as KpiDayTally
    from ._models import LayoutHintRecord as LayoutHintRecord
    from ._models import LoginFailure as LoginFailure
    from ._models import MasterDataRevision as MasterDataRevision
    from ._models import OpenOrderTally as OpenOrderTally
    from ._models import OrderDayTally as OrderDayTally
    from ._models import OrderLineRecord as OrderLineRecord
    from ._models import OrderOverride as OrderOverride
    from ._models import OutboundRecord as OutboundRecord
    from ._models import PollCursor as PollCursor
    from ._models import PriceAgreement as PriceAgreement
    from ._models import Product as Product
    from ._models import PurchaseOrder as PurchaseOrder
    from ._models import ShipmentRow as ShipmentRow
    from ._models import ShippedLine as ShippedLine
    from ._models import ShipTo as ShipTo
    from ._models import Sscc as Sscc
    from ._models import TransportStatus as TransportStatus
    from ._poll_cursors import poll_cursor as poll_cursor
    from ._poll_cursors import save_poll_cursor as save_poll_cursor
    from ._sscc import allocate_sscc as allocate_sscc
    from ._sscc import claim_sscc as claim_sscc
    from ._tally import new_order_facts as new_order_facts
    from ._tally import open_counts as open_counts
    from ._tally import recount_tally as recount_tally
    from ._tally import resolve_bucket as resolve_bucket
    from ._tally import tally_documents as tally_documents
    from ._tally import tally_new_orders as tally_new_orders
    from ._tally import tally_orders as tally_orders
    from ._tally import waiting_counts as waiting_counts
    from ._tally_read import KPI_ACK as KPI_ACK
    from ._tally_read import KPI_ERP as KPI_ERP
    from ._tally_read import KPI_FIGURES as KPI_FIGURES
    from ._tally_read import KPI_SHIP as KPI_SHIP
    from ._tally_read import TALLY_ACCURATE as TALLY_ACCURATE
    from ._tally_read import TALLY_ALONE as TALLY_ALONE
    from ._tally_read import TALLY_CHANNEL as TALLY_CHANNEL
    from ._tally_read import TALLY_CODES as TALLY_CODES
    from ._tally_read import TALLY_DOCUMENTS as TALLY_DOCUMENTS
    from ._tally_read import TALLY_PARTNER as TALLY_PARTNER
    from ._tally_read import TALLY_RESOLVED as TALLY_RESOLVED
    from ._tally_read import TALLY_SETTLED as TALLY_SETTLED
    from ._tally_read import day_counts as day_counts
    from ._tally_read import figure_totals as figure_totals
    from ._tally_read import kpi_counts as kpi_counts
    from ._tally_read import kpi_partner_totals as kpi_partner_totals
    from ._tally_read import kpi_totals as kpi_totals
    from .tables import PartialIndex as PartialIndex

__getattr__, __dir__ = front_door(__name__, __file__)
