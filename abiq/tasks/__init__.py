"""Tasks: records and their rules (this package knows nothing of HTTP)."""
