"""What an X12 interchange contained and what was wrong with it: the input of 997/999/TA1.

Parsers fill these in; emitters read them. Neither imports the other.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator
from pydantic.dataclasses import dataclass

from gateway.truncation import capped


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Level(StrEnum):
    """Which envelope an issue belongs to, and so which ack segment reports it."""

    DOCUMENT = "document"
    INTERCHANGE = "interchange"
    GROUP = "group"
    TRANSACTION = "transaction"
    SEGMENT = "segment"
    ELEMENT = "element"


class Issue(BaseModel):
    """One fault found while reading a document.

    ``x12_code`` is the code an acknowledgement carries for it: TA105 at interchange
    level, AK905 at group level, AK502/IK502 at transaction level, AK304/IK304 at
    segment level and AK403/IK403 at element level.

    ``message`` and ``bad_value`` are capped (``gateway.truncation``), also when assigned: a
    message quoting a value of megabytes keeps its head and says it was cut.
    """

    model_config = ConfigDict(defer_build=True, validate_assignment=True)

    code: str
    message: str
    severity: Severity = Severity.ERROR
    level: Level = Level.DOCUMENT
    x12_code: str | None = None
    segment: str | None = None
    position: int | None = None
    loop_id: str | None = None
    element: int | None = None
    component: int | None = None
    element_ref: str | None = None
    bad_value: str | None = None
    segment_index: int | None = None
    field: str | None = None  # a document reader's canonical field ("po_date", "unit_price")
    line_no: str | None = None  # ... and the order line it is on

    @field_validator("message", "bad_value")
    @classmethod
    def _capped(cls, value: str | None) -> str | None:
        return capped(value) if value is not None else None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def location(self) -> str | None:
        """A short human locator: ``segment 14 (PO1), element 3``."""
        parts: list[str] = []
        if self.segment_index is not None:
            parts.append(f"segment {self.segment_index}")
        if self.segment:
            parts.append(f"({self.segment})" if parts else self.segment)
        if self.element is not None:
            parts.append(f"element {self.element:02d}")
        return " ".join(parts).replace(") element", "), element") or None


class Separators(BaseModel):
    model_config = ConfigDict(defer_build=True)
    element: str = "*"
    component: str = ":"
    repetition: str | None = None
    segment: str = "~"


@dataclass(slots=True)
class TransactionReceipt:
    """One transaction set as read: its 997/999 AK2 and AK5 (or IK5) and what they report.

    A slotted dataclass: an interchange of a hundred thousand sets keeps one per set until its
    acknowledgement is written, and a model instance costs three times the memory.
    """

    set_id: str
    control_number: str
    implementation_ref: str | None = None
    segment_count: int = 0
    issues: list[Issue] = Field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


class GroupReceipt(BaseModel):
    model_config = ConfigDict(defer_build=True)
    functional_id: str
    sender: str
    receiver: str
    control_number: str
    version: str
    declared_count: int | None = None
    transactions: list[TransactionReceipt] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


class InterchangeReceipt(BaseModel):
    model_config = ConfigDict(defer_build=True)
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    version: str
    date: str
    time: str
    ack_requested: bool = False
    usage: str = "P"
    separators: Separators = Field(default_factory=Separators)
    groups: list[GroupReceipt] = Field(default_factory=list)
    issues: list[Issue] = Field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)
