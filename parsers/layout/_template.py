"""A sender's own layout: anchor labels for header fields and its own column titles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True, slots=True)
class PdfTemplate:
    """A partner's declarative PDF layout: anchor labels for header fields, its own column titles."""

    anchors: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
