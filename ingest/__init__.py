"""Ingest: files → blocks (loaders) → chunks (chunker) → index (pipeline)."""
