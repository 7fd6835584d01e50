"""The decision log: decisions recorded per incident, never edited, superseded (docs/decisions.md)."""
