"""Signals: what reaches the team before it is an incident, and the ways it comes in
(docs/intake.md)."""
