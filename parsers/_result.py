"""ParseResult: everything one document held, for callers that want it whole."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from gateway.model.receipts import Issue

from ._events import DocumentIssue
from ._events import ParsedOrder
from ._events import ReceivedAck
from .x12 import ParsedInterchange


@dataclass(slots=True)
class ParseResult:
    format: str | None
    orders: list[ParsedOrder] = field(default_factory=list)
    interchanges: list[ParsedInterchange] = field(default_factory=list)
    acks: list[ReceivedAck] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def add(self, event: ParsedOrder | ReceivedAck | ParsedInterchange | DocumentIssue) -> None:
        if isinstance(event, ParsedOrder):
            self.orders.append(event)
        elif isinstance(event, ParsedInterchange):
            self.interchanges.append(event)
        elif isinstance(event, ReceivedAck):
            self.acks.append(event)
        elif isinstance(event, DocumentIssue):
            self.issues.append(event.issue)

    @property
    def all_issues(self) -> list[Issue]:
        found = list(self.issues)
        for ix in self.interchanges:
            found.extend(ix.receipt.issues)
            for group in ix.receipt.groups:
                found.extend(group.issues)
                for transaction in group.transactions:
                    found.extend(transaction.issues)
        for parsed in self.orders:
            found.extend(parsed.issues)
        return found
