"""Sends our X12 documents to partners over the channel their profile names (SFTP or AS2).

A partner with a ``[delivery]`` table has every pending X12 document in its outbox handed to
the sender for that channel. A failure is retried with exponential backoff; when the
attempts run out, or the failure cannot be cured by repeating it, the document goes ``dead``
and an alert is raised. An AS2 message whose MDN comes asynchronously waits as
``awaiting_mdn``; when none comes within the partner's window it is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from partners import PartnerProfile


@dataclass(frozen=True, slots=True)
class Sent:
    """A transfer that worked; ``confirmed`` is False while an asynchronous MDN is still due."""

    detail: str
    confirmed: bool = True


class Sender(Protocol):
    """One channel's way out. Raises ``gateway.errors.TransportError`` when the transfer failed."""

    def send(self, *, content: bytes, filename: str, profile: PartnerProfile, outbound_id: int) -> Sent: ...
