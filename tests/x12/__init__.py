"""Reading X12 and acknowledging it: the reader, its maps, the corpus, the fixture tree, 997/999/TA1."""
