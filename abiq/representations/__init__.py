"""Pure mappings from models to documents (plain dicts), per media type."""
