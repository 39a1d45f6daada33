"""Everything the gateway sends: the outbox, 855/856/810, 846 inventory advice, replies by email, ERP delivery, dispatch."""
