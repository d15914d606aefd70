"""Extraction into the raw layer: collection schemas, validation SQL and loading."""
