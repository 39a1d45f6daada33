"""The order desk: what staff may do to an order in exception, with audit and optimistic locking; the web queue calls it.

``OrderDesk`` holds the actions (fix a header field: PO number, PO date, customer, currency,
ship-to, requested dates; fix a line's SKU, quantity, UOM, price or dates; add, remove or split
a line; accept a price; release credit; merge or dismiss a duplicate; approve; reject);
``send_reply`` sends the customer the drafted confirmation or rejection, as the clerk edited
it. ``DocumentDesk`` (``_documents``) resolves documents that made no order: assign the
customer, key the order in, create an X12 sender's profile, dismiss. Users and roles are in
``_users``; ``gateway user add|password|disable|list`` in ``cli``; the password rule in
``_passwords``; the failed-login throttle in ``_throttle``. Functions take a session and never
commit.

The desk's read models hold every query its screens run; the web's views parse the request, call
one, and render: the exception queue (``exception_queue``), the dashboard (``dashboard``), an
order's screen (``order_page``, ``_order_read``), the documents and outbound screens
(``document_list``, ``document_detail``..., ``_documents_read``) and the partners screens
(``partner_traffic``, ``partner_activity``, ``_partners_read``). Their one LIKE helper is
``_like``: what the clerk typed matches literally, ``%`` and ``_`` included.

Every export is imported on first use (``gateway._lazy``): ``gateway user`` and the other commands
need not load the desk's actions, and with them the pipeline and every document reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

if TYPE_CHECKING:
    from ._actions import CREDIT_ROLES as CREDIT_ROLES
    from ._actions import DESK_ROLES as DESK_ROLES
    from ._actions import DeskOutcome as DeskOutcome
    from ._actions import OrderDesk as OrderDesk
    from ._actions import order_history as order_history
    from ._alert_actions import ALERT_ROLES as ALERT_ROLES
    from ._alert_actions import resolve_by_hand as resolve_by_hand
    from ._alerts_read import OpenAlert as OpenAlert
    from ._alerts_read import count_open_alerts as count_open_alerts
    from ._alerts_read import open_alerts as open_alerts
    from ._catalog import CatalogHit as CatalogHit
    from ._catalog import search_catalog as search_catalog
    from ._documents import ASSIGNABLE_FORMATS as ASSIGNABLE_FORMATS
    from ._documents import FORMAT_CHANNEL as FORMAT_CHANNEL
    from ._documents import MARKABLE_FORMATS as MARKABLE_FORMATS
    from ._documents import DocumentDesk as DocumentDesk
    from ._documents import KeyedOrder as KeyedOrder
    from ._documents import Resolution as Resolution
    from ._documents import X12Preview as X12Preview
    from ._documents import keyed_order_from_form as keyed_order_from_form
    from ._documents import resolution_refusal as resolution_refusal
    from ._documents_read import DocumentDetail as DocumentDetail
    from ._documents_read import DocumentList as DocumentList
    from ._documents_read import DocumentRow as DocumentRow
    from ._documents_read import document_detail as document_detail
    from ._documents_read import document_list as document_list
    from ._documents_read import document_source as document_source
    from ._documents_read import find_document as find_document
    from ._documents_read import find_outbound as find_outbound
    from ._errors import AlertNotOpen as AlertNotOpen
    from ._errors import DeskError as DeskError
    from ._errors import InvalidChange as InvalidChange
    from ._errors import InvalidUser as InvalidUser
    from ._errors import NotInException as NotInException
    from ._errors import OrderNotFound as OrderNotFound
    from ._errors import PermissionDenied as PermissionDenied
    from ._errors import StaleOrder as StaleOrder
    from ._order_read import LinePaging as LinePaging
    from ._order_read import LineView as LineView
    from ._order_read import OrderPage as OrderPage
    from ._order_read import audit_changes as audit_changes
    from ._order_read import drafted_reply_count as drafted_reply_count
    from ._order_read import holding_counts as holding_counts
    from ._order_read import order_for_page as order_for_page
    from ._order_read import order_page as order_page
    from ._order_read import paging_args as paging_args
    from ._partners_read import PartnerActivity as PartnerActivity
    from ._partners_read import PartnerTraffic as PartnerTraffic
    from ._partners_read import partner_activity as partner_activity
    from ._partners_read import partner_traffic as partner_traffic
    from ._passwords import MIN_PASSWORD_LENGTH as MIN_PASSWORD_LENGTH
    from ._passwords import password_problem as password_problem
    from ._replying import ReplyQueued as ReplyQueued
    from ._replying import send_reply as send_reply
    from ._reprocessing import reprocess_refusal as reprocess_refusal
    from ._roles import ADMIN as ADMIN
    from ._roles import CLERK as CLERK
    from ._roles import CREDIT as CREDIT
    from ._roles import ROLES as ROLES
    from ._throttle import Throttled as Throttled
    from ._throttle import clear_login_failures as clear_login_failures
    from ._throttle import login_throttle as login_throttle
    from ._throttle import record_login_failure as record_login_failure
    from ._users import add_user as add_user
    from ._users import authenticate as authenticate
    from ._users import disable_user as disable_user
    from ._users import end_sessions as end_sessions
    from ._users import find_user as find_user
    from ._users import find_user_by_id as find_user_by_id
    from ._users import list_users as list_users
    from ._users import require_role as require_role
    from ._users import set_password as set_password

__getattr__, __dir__ = front_door(__name__, __file__)
