"""What the ingest step raises about one file (the pipeline reports it by name and goes on)."""

from __future__ import annotations


class UnreadableFile(Exception):
    """A file that cannot be read as text; reported by name and skipped."""
