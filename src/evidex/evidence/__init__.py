"""Documents in: source readers, ingestion, evidence classification and the
document store.  The lowest layer: it imports nothing else of evidex but
settings."""
