"""The gateway's test suite: shared fixtures in conftest.py, tests grouped by the room of gateway/ they exercise."""
