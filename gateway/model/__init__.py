"""The canonical objects every stage speaks: orders in, what an interchange held, documents out."""
