"""Short fuzz runs over the readers, and the inputs that once broke them."""
