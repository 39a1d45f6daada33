"""What parsers stream to the pipeline: orders, interchange receipts, acks of what we sent, document issues."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from gateway.model.order import Order
from gateway.model.receipts import Issue
from gateway.model.receipts import Level
from gateway.model.receipts import TransactionReceipt


@dataclass(slots=True)
class ParsedOrder:
    """One order as found in a document, with what was wrong with it.

    X12 orders carry their transaction set receipt (what a 997 reports) and envelope numbers.
    """

    order: Order
    issues: list[Issue]
    ordinal: int
    transaction: TransactionReceipt | None = None
    interchange_control_number: str | None = None
    group_control_number: str | None = None

    @property
    def rejected(self) -> bool:
        """The sender's syntax was broken: an X12 set the 997 rejects."""
        return self.transaction is not None and self.transaction.has_errors

    @property
    def needs_review(self) -> bool:
        """Something found while reading needs a person: the order goes to the exception queue."""
        return any(i.is_error for i in self.issues)


@dataclass(slots=True)
class ReceivedAck:
    """A partner's 997/999 about a group we sent: AK1 names it, AK9 judges it, AK2/AK5 each set."""

    partner: str | None
    functional_id: str
    group_control_number: str
    code: str
    sets: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class DocumentIssue:
    issue: Issue


@dataclass(slots=True)
class FoundOrders:
    """What a whole-document reader (a sheet, a PDF) found: its orders and its issues.

    ``issues`` concern the whole document; ``order_issues[i]``, when given, only ``orders[i]``
    (a flat export's POs each have their own lines and gaps).
    """

    orders: list[Order] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    order_issues: list[list[Issue]] = field(default_factory=list)

    def issues_of(self, index: int) -> list[Issue]:
        """The issues of ``orders[index]``: the document's and its own."""
        own = self.order_issues[index] if index < len(self.order_issues) else []
        return [*self.issues, *own]

    @classmethod
    def failed(cls, code: str, message: str) -> FoundOrders:
        return cls(issues=[Issue(code=code, message=message, level=Level.DOCUMENT)])
