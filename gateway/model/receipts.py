"""What an X12 interchange contained and what was wrong with it: the input of 997/999/TA1.

Parsers fill these in; emitters read them. Neither imports the other.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import GetCoreSchemaHandler
from pydantic import field_validator
from pydantic_core import CoreSchema
from pydantic_core import core_schema

from gateway.model.truncation import capped


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

    ``message`` and ``bad_value`` are capped (``gateway.model.truncation``), also when assigned: a
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
    pointer: str | None = None  # in a JSON document (a channel order): the RFC 6901 pointer of the value

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
        if self.pointer is not None:
            return self.pointer or "/"  # "" points at the whole document
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
    """One transaction set as read: its 997/999 AK2 and AK5 (or IK5) and what they report."""

    set_id: str
    control_number: str
    implementation_ref: str | None = None
    segment_count: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


@dataclass(slots=True)
class _CleanRun:
    """Sets read without an issue, one after another, numbered each one more than the last.

    All a 997 says of them is AK2 and AK5 A: their numbers are ``first`` on, written at least
    ``width`` digits wide, and only their segment counts are kept (4 bytes a set).
    """

    set_id: str
    implementation_ref: str | None
    first: int
    width: int
    segment_counts: array[int]

    @classmethod
    def starting(cls, transaction: TransactionReceipt) -> _CleanRun | None:
        number = control_number_value(transaction.control_number)
        if number is None or transaction.issues or not 0 <= transaction.segment_count < 2**32:
            return None
        counts = array("I", [transaction.segment_count])
        width = len(transaction.control_number)
        return cls(transaction.set_id, transaction.implementation_ref, number, width, counts)

    def take(self, transaction: TransactionReceipt) -> bool:
        """Add ``transaction`` if it is this run's next set; say whether it was."""
        next_number = self.first + len(self.segment_counts)
        if (
            transaction.issues
            or transaction.set_id != self.set_id
            or transaction.implementation_ref != self.implementation_ref
            or transaction.control_number != str(next_number).zfill(self.width)
            or not 0 <= transaction.segment_count < 2**32
        ):
            return False
        self.segment_counts.append(transaction.segment_count)
        return True

    def __iter__(self) -> Iterator[TransactionReceipt]:
        for offset, count in enumerate(self.segment_counts):
            number = str(self.first + offset).zfill(self.width)
            yield TransactionReceipt(self.set_id, number, self.implementation_ref, count)


def control_number_value(value: object) -> int | None:
    """A control number of ASCII digits as a number; None for anything else."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


class SetLog:
    """A functional group's transaction sets, in the order read, kept for its 997/999.

    An interchange of a hundred thousand sets keeps them all until its acknowledgement is
    written, so clean sets numbered one after another are kept as runs (``_CleanRun``) and only
    sets with issues are kept whole. Iterating gives every set back as it was appended.
    """

    __slots__ = ("_count", "_entries")

    def __init__(self, sets: Iterable[TransactionReceipt] = ()) -> None:
        self._entries: list[TransactionReceipt | _CleanRun] = []
        self._count = 0
        for transaction in sets:
            self.append(transaction)

    def append(self, transaction: TransactionReceipt) -> None:
        self._count += 1
        last = self._entries[-1] if self._entries else None
        if isinstance(last, _CleanRun) and last.take(transaction):
            return
        self._entries.append(_CleanRun.starting(transaction) or transaction)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[TransactionReceipt]:
        for entry in self._entries:
            if isinstance(entry, _CleanRun):
                yield from entry
            else:
                yield entry

    def __repr__(self) -> str:
        return f"SetLog({len(self)} sets in {len(self._entries)} entries)"

    @classmethod
    def _of(cls, value: Any) -> SetLog:
        return value if isinstance(value, SetLog) else cls(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._of, serialization=core_schema.plain_serializer_function_ser_schema(list)
        )


class GroupReceipt(BaseModel):
    model_config = ConfigDict(defer_build=True)
    functional_id: str
    sender: str
    receiver: str
    control_number: str
    version: str
    declared_count: int | None = None
    transactions: SetLog = Field(default_factory=SetLog)
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
