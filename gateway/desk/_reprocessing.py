"""When a stored document may be processed again: never over a decision or a desk edit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import storage
from gateway.model.status import OrderStatus


def reprocess_refusal(session: Session, document_id: int) -> str | None:
    """Why processing the document again is refused, or None.

    Processing again replaces the document's orders; one already decided (accepted, rejected,
    answered with an 855) or changed on the desk would be lost.
    """
    orders = session.scalars(
        select(storage.PurchaseOrder)
        .where(storage.PurchaseOrder.document_id == document_id)
        .order_by(storage.PurchaseOrder.id)
    )
    for found in orders:
        if found.status != OrderStatus.EXCEPTION:
            return f"Order {found.id} from this document is already {found.status}; processing again would replace it."
        if found.version > 1:
            return f"Order {found.id} from this document was changed on the desk; processing again would undo that."
    return None
