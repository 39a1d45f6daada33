"""X12 reading: the pre-pass, the 850 mapping and the streaming reader."""

from ._850 import build_850 as build_850
from ._850 import parse_x12_date as parse_x12_date
from ._map_dir import MAP_DIR as MAP_DIR
from ._prepass import InterchangeHeader as InterchangeHeader
from ._prepass import Oversize as Oversize
from ._prepass import RawSegment as RawSegment
from ._prepass import scan as scan
from ._reader import ParsedInterchange as ParsedInterchange
from ._reader import X12Event as X12Event
from ._reader import read_x12 as read_x12
