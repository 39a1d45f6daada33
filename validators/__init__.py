"""Canonical order + master data -> findings (SKU, price, credit, stock, order rules).

Not built yet: issue 4. Until then the pipeline flags duplicate PO numbers itself.
"""
