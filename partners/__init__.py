"""Partner profiles: the schema, the loader, the registry, the profiles themselves, and layout hints learned on the desk."""

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
