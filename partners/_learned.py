"""Layout hints learned on the order desk, merged under a partner's profile, and written back as profile TOML.

A hint says where one sender puts one value: the label text a header field follows (right of it,
or below it) or the title of the column a line field sits in. The profile's own ``pdf_anchors``
and ``sheet_columns`` win over a learned hint for the same field or title; learned hints win over
the generic reading, which fills in the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from typing import get_args

from ._profile import PartnerProfile
from ._profile import PdfField
from ._profile import SheetField

HintKind = Literal["pdf", "sheet"]
Geometry = Literal["right", "below", "column"]
ANCHOR_FIELDS: tuple[str, ...] = get_args(PdfField)  # header fields a label anchors
# A template anchor's value is read right of its label, else under it (parsers.layout's header fields).
APPLIED_GEOMETRIES: tuple[Geometry, ...] = ("right", "below", "column")
COLUMN_FIELDS: tuple[str, ...] = get_args(SheetField)  # line fields a column title pins


@dataclass(frozen=True, slots=True)
class LayoutHint:
    """One learned place: ``field`` follows the label (or sits under the column titled) ``label``.

    ``support`` counts the desk's corrections and confirmations behind it.
    """

    kind: HintKind
    field: str
    label: str
    geometry: Geometry
    support: int = 1


@dataclass(frozen=True, slots=True)
class LearnedLayout:
    """A sender's anchors and column titles: its profile's, then the learned ones it does not override.

    ``learned_from`` sums the support of the learned hints in it (0: none apply).
    """

    anchors: dict[str, str]
    columns: dict[str, str]
    learned_from: int


def learned_layout(
    profile: PartnerProfile | None, hints: Iterable[LayoutHint], kind: HintKind
) -> LearnedLayout:
    """``profile``'s layout settings with the learned ``hints`` of ``kind`` merged under them."""
    anchors: dict[str, str] = {k: v for k, v in profile.pdf_anchors.items()} if profile else {}
    columns: dict[str, str] = dict(profile.sheet_columns) if profile else {}
    pinned_fields = set(columns.values())
    titles = {title.strip().lower() for title in columns}
    learned_from = 0
    for hint in hints:
        if hint.kind != kind or hint.geometry not in APPLIED_GEOMETRIES:
            continue
        if hint.geometry == "column":
            title = hint.label.strip().lower()
            if hint.field not in COLUMN_FIELDS or hint.field in pinned_fields or title in titles:
                continue
            columns[hint.label] = hint.field
            pinned_fields.add(hint.field)
            titles.add(title)
        else:
            if kind != "pdf" or hint.field not in ANCHOR_FIELDS or hint.field in anchors:
                continue  # sheet header fields are read by their generic labels only
            anchors[hint.field] = hint.label
        learned_from += hint.support
    return LearnedLayout(anchors, columns, learned_from)


def profile_toml(hints: Sequence[LayoutHint]) -> str:
    """The hints as ``pdf_anchors`` and ``sheet_columns`` lines to paste into a partner profile.

    PDF and sheet column titles both go to ``sheet_columns`` (the readers share it); a title
    learned for two fields keeps the better supported one.
    """
    anchors: dict[str, LayoutHint] = {}
    columns: dict[str, LayoutHint] = {}
    out = ["# learned on the order desk; put these in the partner's profile"]
    for hint in sorted(hints, key=lambda h: -h.support):
        if hint.geometry == "column" and hint.field in COLUMN_FIELDS:
            columns.setdefault(hint.label, hint)
        elif hint.kind == "pdf" and hint.field in ANCHOR_FIELDS:
            anchors.setdefault(hint.field, hint)
    if anchors:
        pairs = ", ".join(f"{name} = {_string(h.label)}" for name, h in sorted(anchors.items()))
        out.append(f"pdf_anchors = {{ {pairs} }}")
    if columns:
        pairs = ", ".join(f"{_string(title)} = {_string(h.field)}" for title, h in sorted(columns.items()))
        out.append(f"sheet_columns = {{ {pairs} }}")
    return "\n".join(out) + "\n"


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, bar the non-ASCII ones JSON would escape."""
    return json.dumps(text, ensure_ascii=False)
