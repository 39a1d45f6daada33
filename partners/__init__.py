"""Partner profiles: the schema, the loader, the registry, the profiles themselves, and layout hints learned on the desk.

A lazy front door (``gateway._lazy``): an export's module is imported when its name is first used,
so loading the profiles (``PartnerRegistry``) does not load the layouts learned on the desk or the
webhook topics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway._lazy import front_door

if TYPE_CHECKING:
    from ._channel import AMAZON_API_URL as AMAZON_API_URL
    from ._channel import AMAZON_LWA_URL as AMAZON_LWA_URL
    from ._channel import POLLED_KINDS as POLLED_KINDS
    from ._channel import WALMART_API_URL as WALMART_API_URL
    from ._channel import WEBHOOK_KINDS as WEBHOOK_KINDS
    from ._channel import ChannelKind as ChannelKind
    from ._channel import ChannelLink as ChannelLink
    from ._channel import MarketplacePoll as MarketplacePoll
    from ._erp import DEFAULT_TARGET as DEFAULT_TARGET
    from ._erp import ERP_CREDENTIALS as ERP_CREDENTIALS
    from ._erp import ErpFieldMap as ErpFieldMap
    from ._erp import ErpRouting as ErpRouting
    from ._erp import ErpTarget as ErpTarget
    from ._learned import ANCHOR_FIELDS as ANCHOR_FIELDS
    from ._learned import APPLIED_GEOMETRIES as APPLIED_GEOMETRIES
    from ._learned import COLUMN_FIELDS as COLUMN_FIELDS
    from ._learned import HintKind as HintKind
    from ._learned import LayoutHint as LayoutHint
    from ._learned import LearnedLayout as LearnedLayout
    from ._learned import learned_layout as learned_layout
    from ._learned import profile_toml as profile_toml
    from ._profile import DEFAULT_MAX_SEGMENT_BYTES as DEFAULT_MAX_SEGMENT_BYTES
    from ._profile import InventoryAdviceSettings as InventoryAdviceSettings
    from ._profile import InvoicePolicy as InvoicePolicy
    from ._profile import OutboundSeparators as OutboundSeparators
    from ._profile import PartnerProfile as PartnerProfile
    from ._profile import StockSettings as StockSettings
    from ._profile import X12Identity as X12Identity
    from ._registry import PROFILES_DIR as PROFILES_DIR
    from ._registry import PartnerRegistry as PartnerRegistry
    from ._registry import ProfileError as ProfileError
    from ._registry import RefusedProfile as RefusedProfile
    from ._registry import load_profile as load_profile
    from ._transports import As2Link as As2Link
    from ._transports import Delivery as Delivery
    from ._transports import DropInbox as DropInbox
    from ._transports import SftpPull as SftpPull
    from ._transports import SftpPush as SftpPush
    from ._transports import SftpServer as SftpServer
    from ._webhook_topics import DELIVERY_HEADERS as DELIVERY_HEADERS
    from ._webhook_topics import TOPIC_HEADERS as TOPIC_HEADERS
    from ._webhook_topics import WEBHOOK_DELIVERY as WEBHOOK_DELIVERY
    from ._webhook_topics import WEBHOOK_TOPIC as WEBHOOK_TOPIC
    from ._webhook_topics import TopicUse as TopicUse
    from ._webhook_topics import handled_topics as handled_topics
    from ._webhook_topics import topic_use as topic_use

__getattr__, __dir__ = front_door(__name__, __file__)
