"""The engine: journal (file and PostgreSQL), event models, chain, projector, ingestion, store, outbox."""
