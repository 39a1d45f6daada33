"""The gateway's exception tree.

Raise only when processing cannot go on; faults a 997 or 855 must report are ``Issue``
values, not exceptions::

    GatewayError
    ├── ConfigError            settings or partner profiles that cannot be used
    ├── StorageError           the store refused or failed a write
    │   └── ControlNumberExhausted
    ├── InboundError           a document that cannot be taken in at all
    ├── OutboundRefused        a shipment or invoice that cannot become an ASN or 810
    ├── ReprocessRefused       processing a document again would replace a decision or a desk edit
    └── TransportError         a connection, login, transfer or MDN that failed
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    pass


class StorageError(GatewayError):
    pass


class ControlNumberExhausted(StorageError):
    pass


class InboundError(GatewayError):
    pass


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
