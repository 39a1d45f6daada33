"""Everything the gateway sends: the outbox, 855/856/810, replies by email, ERP delivery, dispatch."""
