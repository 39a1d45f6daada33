"""Orders read from words laid out on pages: PDF text layers and OCR output alike.

A reader hands in words with their boxes (and, from OCR, confidences); this package groups
them into rows, finds the header fields by label and value geometry, and reads the line table.
``_locate`` answers the order desk's question of where a corrected value sits on the page.
"""

from ._locate import Matches as Matches
from ._locate import Place as Place
from ._locate import column_place as column_place
from ._locate import date_value as date_value
from ._locate import label_place as label_place
from ._locate import number_value as number_value
from ._locate import text_value as text_value
