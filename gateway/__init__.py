"""The gateway core: canonical model, receipts, pipeline, storage, configuration and CLI.

Only this package does I/O; parsers, validators, emitters and partners take values and
return values.
"""
