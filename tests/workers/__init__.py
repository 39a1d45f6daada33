"""Child processes the tests start with ``python -m tests.workers.NAME`` (this package holds no tests)."""
