"""The security suite: hostile documents, names, exports and requests against the real code paths."""
