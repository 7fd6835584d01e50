"""The follow-the-sun handoff report and its read-back."""
