"""`gateway run`: the supervisor, what each child process does, and the pollers' schedule."""
