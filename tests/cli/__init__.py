"""The `gateway` command line, the demo, start-up imports and the Makefile."""
