"""The inbound pipeline: validation, master data, ingest batches, changes and cancellations, partner profiles."""
