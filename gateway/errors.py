"""The gateway's exception tree: every error any package raises on purpose descends from ``GatewayError``.

Raise only when processing cannot go on; faults a 997 or 855 must report are ``Issue``
values, not exceptions::

    GatewayError
    ├── ConfigError              settings or partner profiles that cannot be used
    │   ├── ProfileError         (partners) a profile file that cannot be read or does not fit the schema
    │   └── StaleBuild           (parsers) a module compiled with mypyc before its source last changed
    ├── ControlNumberExhausted   (storage) a partner's control numbers have run out
    ├── InboundError             a document a reader stopped at one of its bounds
    │   ├── OverBudget           (parsers) a PDF that costs more to read than the budget allows
    │   ├── OcrRefusal           (parsers) OCR not done, or stopped at a bound; ``code`` says which
    │   ├── JsonRefusal          (parsers) bytes that are not one well-formed JSON document (a channel order)
    │   └── InventoryRefused     an inventory update with a bad row: nothing of it is applied
    ├── EnvelopeError            (emitters) a value that cannot be written without corrupting the interchange
    │   └── AsnError             (emitters) a shipment an 856 cannot be written from
    ├── ErpPayloadError          (emitters) an accepted order lacking what every ERP payload needs
    ├── OutboundRefused          a shipment or invoice that cannot become an ASN or 810
    ├── ReprocessRefused         processing a document again would replace a decision or a desk edit
    ├── TransportError           a connection, login, transfer or MDN that failed
    │   ├── MarketplaceAuthError (transports) Amazon or Walmart refused our credentials or token (401/403)
    │   └── ErpLookupFailed      (gateway.outbound) not one open ERP order found to change or cancel
    └── DeskError                (gateway.desk) what the order desk refuses; its subtree is drawn there

The pure packages (parsers, emitters, partners) define their own classes on these bases, so a
caller can catch one of them, or ``GatewayError`` for all, and never needs ``ValueError``.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    pass


class ControlNumberExhausted(GatewayError):
    pass


class InboundError(GatewayError):
    pass


class InventoryRefused(InboundError):
    """An inventory update refused as a whole; ``problems`` lists every reason, each with its JSON pointer."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class EnvelopeError(GatewayError):
    """A value cannot be written without corrupting the interchange."""


class ErpPayloadError(GatewayError):
    """An accepted order lacks something no ERP payload can be written without."""


class OutboundRefused(GatewayError):
    """A shipment or invoice record the gateway will not send; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class ReprocessRefused(GatewayError):
    """Processing a document again is refused; the message says why."""


class TransportError(GatewayError):
    """A transfer that failed; ``retryable`` is False when repeating it cannot help (refused, bad key)."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class ErpLookupFailed(TransportError):
    """The ERP's own id of an order to change or cancel: none or several open orders found, or the look-up
    itself failed (``retryable`` when repeating it may cure that: a 5xx, a 429)."""
