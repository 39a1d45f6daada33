"""The names the queue and its jobs share: job names, queues and per-document locks."""

PROCESS_DOCUMENT = "process_document"
SEND_OUTBOUND = "send_outbound"
RECOVER = "recover"
DOCUMENTS_QUEUE = "documents"
OUTBOUND_QUEUE = "outbound"


def document_lock(document_id: int) -> str:
    """Jobs with the same lock never run at the same time, on any worker."""
    return f"document:{document_id}"
