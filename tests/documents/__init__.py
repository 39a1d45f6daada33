"""PDF, sheet, email and scanned orders: the readers and the layouts they learn."""
