"""Orders read from words laid out on pages: PDF text layers and OCR output alike.

A reader hands in words with their boxes (and, from OCR, confidences); this package groups
them into rows, finds the header fields by label and value geometry, and reads the line table.
"""
