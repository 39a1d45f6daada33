"""What a notification says: its subject, its text, its JSON, and the desk page it links to. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from gateway import storage
from gateway.model.status import AlertEvent
from gateway.model.status import AlertKind

if TYPE_CHECKING:
    from sqlalchemy import Row

TITLES: dict[str, str] = {
    AlertKind.DELIVERY_DEAD: "delivery gave up",
    AlertKind.ACK_REJECTED: "our document was rejected by the partner's 997/999",
    AlertKind.ACK_OVERDUE: "the partner's 997/999 is overdue",
    AlertKind.ERP_PAYLOAD: "an order cannot go to the ERP",
    AlertKind.POLLER_FAILING: "a transport keeps failing",
    AlertKind.DOCUMENT_STUCK: "a document is stuck in received",
    AlertKind.PROFILE_REFUSED: "a partner profile does not load",
    AlertKind.INVOICE_HELD: "an invoice is held",
    AlertKind.ALLOCATIONS: "an order's stock is not known",
    AlertKind.AS2_SUSPECT_MDN: "a suspect AS2 MDN",
    AlertKind.AS2_DUPLICATE_ID: "an AS2 Message-ID was reused",
    AlertKind.CHANNEL_TOPIC_MISMATCH: "a shop webhook said cancelled, its signed body did not",
}


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification, ready for any channel."""

    event: str
    subject: str
    text: str
    link: str | None
    fields: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "subject": self.subject,
            "text": self.text,
            "link": self.link,
            **self.fields,
        }


def desk_path(alert: storage.Alert | Row[Any]) -> str:
    """The desk page of what the alert is about: the order, the outbound document, the document,
    the partner, else the dashboard (of a mapped alert, or of a row read from the table)."""
    if alert.order_id is not None:
        return f"/orders/{alert.order_id}"
    if alert.outbound_id is not None:
        return f"/outbound/{alert.outbound_id}"
    if alert.document_id is not None:
        return f"/documents/{alert.document_id}"
    if alert.partner and alert.kind != AlertKind.PROFILE_REFUSED:
        return f"/partners/{alert.partner}"
    return "/partners" if alert.kind == AlertKind.PROFILE_REFUSED else "/dashboard"


def link(public_url: str | None, path: str) -> str | None:
    return f"{public_url}{path}" if public_url else None


def title(kind: str) -> str:
    return TITLES.get(kind, kind.replace("_", " "))


def subjects(alert: storage.Alert) -> str:
    """What the alert is about, in words: ``partner acme, order 12, outbound 7``."""
    parts = [f"partner {alert.partner}" if alert.partner else None]
    parts += [f"order {alert.order_id}" if alert.order_id is not None else None]
    parts += [f"outbound document {alert.outbound_id}" if alert.outbound_id is not None else None]
    parts += [f"document {alert.document_id}" if alert.document_id is not None else None]
    return ", ".join(part for part in parts if part) or "the gateway"


def alert_notice(
    alert: storage.Alert, event: str, public_url: str | None, *, said: str | None = None
) -> Notice:
    """A raised or resolved alert, named by partner, subject, what failed and what to do; ``said``:
    who resolved it by hand, and their note (the notification's ``body``)."""
    url = link(public_url, desk_path(alert))
    about = subjects(alert)
    if event == AlertEvent.RESOLVED:
        subject = f"[gateway] resolved: {title(alert.kind)} ({about})"
        lines = [
            f"Resolved at {_when(alert.resolved_at)}: {title(alert.kind)} ({about}).",
            f"It said: {alert.message}",
        ]
        if said:
            lines.append(f"{said}.")
    else:
        subject = f"[gateway] {title(alert.kind)} ({about})"
        lines = [
            f"{title(alert.kind).capitalize()}: {about}.",
            f"What failed: {alert.message}",
            f"What to do: {alert.action or 'look at it on the desk'}",
        ]
        if alert.repeats:
            lines.append(f"Raised {alert.repeats + 1} times, last at {_when(alert.last_at)}.")
    if url:
        lines.append(f"On the desk: {url}")
    fields = {
        "alert_id": alert.id,
        "kind": alert.kind,
        "partner": alert.partner,
        "order_id": alert.order_id,
        "outbound_id": alert.outbound_id,
        "document_id": alert.document_id,
        "message": alert.message,
        "action": alert.action,
        "raised_at": _when(alert.at),
        "resolved_at": _when(alert.resolved_at) if alert.resolved_at else None,
        "repeats": alert.repeats,
        "resolution": said if event == AlertEvent.RESOLVED else None,
    }
    return Notice(str(event), subject, "\n".join(lines), url, fields)


def digest_text(alerts: list[storage.Alert], public_url: str | None, *, at: datetime) -> str:
    """The daily digest: every open alert, oldest first, one line each with its action and link."""
    lines = [f"{len(alerts)} open alert{'s' if len(alerts) != 1 else ''} at {_when(at)}:"]
    for alert in alerts:
        url = link(public_url, desk_path(alert))
        repeats = f" (raised {alert.repeats + 1} times)" if alert.repeats else ""
        lines.append(
            f"- since {_when(alert.at)}: {title(alert.kind)} ({subjects(alert)}){repeats}: {alert.message}"
        )
        lines.append(
            f"  what to do: {alert.action or 'look at it on the desk'}" + (f" ({url})" if url else "")
        )
    return "\n".join(lines)


def digest_notice(body: str, public_url: str | None, *, count: int | None = None) -> Notice:
    url = link(public_url, "/dashboard")
    first = body.split("\n", 1)[0]
    return Notice(AlertEvent.DIGEST, f"[gateway] daily digest: {first}", body, url, {"kind": None})


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "-"
