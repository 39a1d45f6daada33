"""From a stored document to decided orders: the pipeline, validation against the store, available to promise, master data."""
