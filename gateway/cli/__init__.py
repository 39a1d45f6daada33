"""The ``gateway`` command line: its commands, the desk's user commands and the read-side reports."""
