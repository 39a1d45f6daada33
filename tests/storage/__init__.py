"""The store: documents, JSON text, column widths, migrations."""
