"""Python's cyclic garbage collector, kept out of the way while a document is processed.

A document's objects (its orders, their rows, pyx12's findings) live until their batch is
stored. With Python's default thresholds a young collection runs every 700 allocations, so each
object is scanned several times and promoted, and the old generation's collections (about one per
hundred 20-line orders) walked everything loaded for good as well: the imports, pyx12's maps and
the memos, some 130,000 objects. That was a quarter of an X12 ingest's CPU, growing with what the
ingest kept, which made the CPU per order grow with the file.

While a document is processed:
- the youngest generation's threshold is ``YOUNG_THRESHOLD`` (a program that already collects
  less often is left as it is);
- the heap that existed when processing started is frozen out of collections (``gc.freeze``).

It is safe because reference counting, not the collector, frees nearly everything here (a
2,000-PO ingest leaves a few thousand objects in cycles), and a collection still runs every
``YOUNG_THRESHOLD`` allocations over everything made meanwhile, so what waits for the collector
is bounded whatever the document's size. Both are the process's: the first document in (threads
may process several) sets them, the last one out puts back the thresholds and unfreezes.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Above what one batch of orders keeps alive until it is stored (500 orders or 2,000 lines, about
# 150 objects an order of 5 lines): at 50,000 a young collection ran over a batch's orders every
# hundred or so, some 28 collections and 0.13 s of CPU per 2,000 POs (``tests/test_ingest_gc.py``).
YOUNG_THRESHOLD = 200_000
_lock = threading.Lock()
_inside = 0
_saved: tuple[int, ...] = ()


@contextmanager
def few_collections() -> Iterator[None]:
    """Fewer collections, and none over the heap that existed on entry, while inside."""
    global _inside, _saved
    with _lock:
        if _inside == 0:
            _saved = gc.get_threshold()
            if _saved[0] < YOUNG_THRESHOLD:
                gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
            gc.freeze()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
