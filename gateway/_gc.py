"""Fewer cyclic garbage collections while a document is processed.

A document's objects (its orders, their rows, pyx12's findings) live until their batch is
stored. With Python's default thresholds a young collection runs every 700 allocations, so each
object is scanned several times, promoted, and then walked again by the old generation's
collections, which also walk everything loaded for good (pyx12's maps, SQLAlchemy, the modules):
about a quarter of an X12 ingest's CPU. While a document is processed the youngest generation's
threshold is ``YOUNG_THRESHOLD`` instead.

It is safe because reference counting, not the collector, frees nearly everything here (a 2,000-PO
ingest leaves a few thousand objects in cycles, a few per order), and a collection still runs every
``YOUNG_THRESHOLD`` allocations: what waits for the collector is bounded by that count, whatever the
document's size. The thresholds are the process's: the first document in sets them, the last one out
puts back what was there (other threads may be processing documents too). A program that already
collects less often is left as it is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000
_lock = threading.Lock()
_inside = 0
_saved: tuple[int, ...] = ()


@contextmanager
def few_collections() -> Iterator[None]:
    """Raise the youngest generation's threshold to ``YOUNG_THRESHOLD`` while inside."""
    global _inside, _saved
    with _lock:
        if _inside == 0:
            _saved = gc.get_threshold()
            if _saved[0] < YOUNG_THRESHOLD:
                gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                gc.set_threshold(*_saved)
