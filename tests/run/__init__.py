"""`gateway run`, its roles, scheduling and warm-up."""
