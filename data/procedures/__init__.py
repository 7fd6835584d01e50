"""Standard operating procedures per category and the legal clocks they start."""
