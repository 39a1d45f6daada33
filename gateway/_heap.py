"""Keeps Python's cyclic garbage collector off the long-lived heap while a document is processed.

A full collection walks every object the process holds. While a big interchange is read, the
orders of a batch survive two younger collections, so full ones run as often as CPython allows
(about one per hundred orders of 20 lines) and each walked the imports, pyx12's maps and the
memos: some 130,000 objects and a quarter of an ingest's CPU, growing with whatever the
ingest kept. ``gc.freeze`` moves what exists when a document's processing starts (none other
being processed) out of their way; ``gc.unfreeze`` gives it back when the last document being
processed in the process ends. Objects made meanwhile are collected as ever.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Freezer:
    """Counts the documents being processed, so that threads share one freeze."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0

    @contextmanager
    def frozen(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                gc.freeze()
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    gc.unfreeze()


heap_frozen = _Freezer().frozen
