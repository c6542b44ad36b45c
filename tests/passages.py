"""Passages made in a test, for the answer step's tests (test_answerer, test_compose,
test_extract)."""

from __future__ import annotations

from lhl.records import Chunk, Passage


def passage(
    doc_id: str, text: str, position: int = 0, *, section: str = "", title: str | None = None
) -> Passage:
    """One retrieved passage of document `doc_id` (title from the id unless given)."""
    chunk = Chunk(
        f"{doc_id}-{position}",
        doc_id,
        title or doc_id.title(),
        f"corpus/{doc_id}.txt",
        section,
        None,
        position,
        text,
    )
    return Passage(chunk, 1.0)
