"""Post-mortem drafts and their export."""
