"""On-call rotations, overrides, people, and the calendar import."""
