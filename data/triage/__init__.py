"""Triage of signals (docs/intake.md, "Triage"): which wait, what they look like, what the
queue's header says of them. Pure functions and store queries; no Textual."""
