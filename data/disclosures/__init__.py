"""Written responses (templates, drafts, reviews, sending) and the disclosure ledger
(docs/disclosures.md)."""
