"""Ratings from the web chat as eval cases: each rating becomes a line in the question-file
format of docs/contract.md, for `lhl eval` (`lhl feedback export`, GET /api/feedback/export).
The ratings themselves are stored by lhl/feedback.py."""

from __future__ import annotations

import json
from collections.abc import Iterator

from lhl.feedback import Feedback, FeedbackStore, Rating, cited_json

TODO_EXPECTED = (
    'Fyll inn «expected» (det riktige svaret), eller sett "answerable": false '
    "hvis dokumentene ikke svarer på spørsmålet."
)


def eval_case(item: Feedback) -> dict[str, object]:
    """One line of a question file (docs/contract.md) for `lhl eval`.

    A thumbs up is a complete case: an answer people found good must again cite the sentence
    it came from (`evidence`), and a refusal they agreed with must stay a refusal. A thumbs
    down says the answer was wrong, not what is right: that line is a draft whose `expected`
    an evaluator fills in (the eval refuses the file until then, saying so). The question is
    the one the service answered; a follow-up completed from the conversation stands alone.
    """
    case: dict[str, object] = {
        "id": f"fb{item.id:05d}",
        "question": item.resolved_question or item.question,
        "expected": [],
        "answerable": True,
    }
    highlight = next((c.highlight for c in item.citations if c.highlight), None)
    if item.rating == "up" and item.found is True and highlight:
        case["evidence"] = highlight
    elif item.rating == "up" and item.found is False:
        case["answerable"] = False
    else:
        case["todo"] = TODO_EXPECTED
    case.update(
        style="tilbakemelding",
        rating=item.rating,
        comment=item.comment,
        rated_answer=item.answer,
        found=item.found,
        asked=item.question,
        answer_id=item.answer_id,
        created_at=item.created_at,
        citations=[cited_json(c) for c in item.citations],
    )
    if item.citations:
        case["doc"] = item.citations[0].doc_id
    return case


def export_lines(store: FeedbackStore, rating: Rating | None = None) -> Iterator[str]:
    for item in store.list(rating):
        yield json.dumps(eval_case(item), ensure_ascii=False) + "\n"
