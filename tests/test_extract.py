"""The answer step (assistant/extract.py) with the committed verifier (models/decision/):
a confidence on every answer, a typed reason on every refusal, and the answering sentence
first. The model is loaded, never fit, here."""

from __future__ import annotations

import json
import math
from pathlib import Path

from passages import passage

from assistant import compose, decide
from assistant.answerer import Candidate
from assistant.extract import Refusal, extract
from assistant.questions import analyse

ROOT = Path(__file__).resolve().parent.parent
DECISION = decide.load()


def test_the_committed_verifier_has_both_modes_and_its_card() -> None:
    for model, names in (
        (DECISION.reader, decide.VERIFIER),
        (DECISION.lexical, decide.VERIFIER_LEXICAL),
    ):
        assert model.names == names
        assert len(model.coef) == len(model.mean) == len(model.scale) == len(names)
        assert all(math.isfinite(c) for c in model.coef) and all(s > 0 for s in model.scale)
    raw = json.loads((ROOT / "models" / "decision" / "decision.json").read_text(encoding="utf-8"))
    assert raw["meta"]["data"] and raw["meta"]["fit"]["reader"]["out_of_fold_reliability"]
    card = (ROOT / "models" / "decision" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "NorQuAD test er aldri brukt" in card


def test_an_answer_has_a_confidence_and_the_answering_sentence_is_ranked_first() -> None:
    passages = [
        passage("a", "Prisen for 2022 gikk til Melhus kommune. Juryen la vekt på samarbeidet."),
        passage("b", "Nettverket har mange medlemmer i hele landet."),
    ]
    found = extract(analyse("Hvilken kommune fikk prisen for 2022?"), passages, {}, None, DECISION)
    assert found.refusal is None
    assert found.best is not None and "Melhus" in found.best.text
    assert 0.0 < found.confidence < 1.0
    assert [c.score for c in found.ranked] == sorted((c.score for c in found.ranked), reverse=True)
    assert found.chosen[0].text == found.best.text


def test_the_verifier_is_surer_of_a_sentence_that_holds_the_asked_for_year() -> None:
    passages = [passage("a", "Prisen for 2022 gikk til Melhus kommune. Nettverket vokser.")]
    sure = extract(analyse("Hvilken kommune fikk prisen for 2022?"), passages, {}, None, DECISION)
    vague = extract(analyse("Hvorfor vokser nettverket så raskt?"), passages, {}, None, DECISION)
    assert sure.confidence > vague.confidence


def test_a_question_the_passages_do_not_touch_is_refused_with_its_reason() -> None:
    passages = [passage("a", "Nettverket har mange medlemmer i hele landet.")]
    found = extract(analyse("Hvem vant fotball-VM i 1998?"), passages, {}, None, DECISION)
    assert found.refusal is Refusal.CONSTRAINT and not found.chosen
    assert found.ranked  # the closest sentences stay, for the refusal's related passages
    nothing = extract(analyse("Hvem vant fotball-VM i 1998?"), [], {}, None, DECISION)
    assert nothing.refusal is Refusal.NO_PASSAGES


def test_the_sentence_that_answers_comes_before_a_runner_up_that_stands_before_it() -> None:
    early = "Reformperioden startet 1. januar 2019 og varer til utgangen av 2023."
    answer = "Stortinget vedtok reformen 20. desember 2018 etter en lang høring."
    passages = [passage("a", f"{early} {answer}")]
    q = analyse("Når vedtok Stortinget reformen?")
    ranked = [
        Candidate(0, 1, answer, 0.0, 1.0, fits_type=True),
        Candidate(0, 0, early, -0.2, 0.6, fits_type=True),
    ]
    chosen = compose.choose(q, passages, ranked)
    assert [c.text for c in chosen] == [answer, early]
    base = compose.AnswerBase(q.text, None, q.qtype, False, 0.9)
    shown = compose.answer(base, chosen, ranked[0], passages)
    assert shown.answer.startswith("Stortinget vedtok reformen 20. desember 2018")
    assert shown.confidence == 0.9


def test_a_refusal_shows_each_related_passage_with_its_closest_sentence() -> None:
    passages = [
        passage("a", "Konferansen samlet 3000 deltakere. Den ble holdt digitalt.", 0),
        passage("b", "Nettverket har mange medlemmer. Det møtes to ganger i året.", 1),
    ]
    q = analyse("Hvor mye kostet konferansen?")
    ranked = [
        Candidate(1, 1, "Det møtes to ganger i året.", -1.0, 0.1),
        Candidate(0, 0, "Konferansen samlet 3000 deltakere.", -2.0, 0.4),
        Candidate(0, 1, "Den ble holdt digitalt.", -3.0, 0.1),
    ]
    base = compose.AnswerBase(q.text, None, q.qtype, True, 0.27)
    refused = compose.refusal(base, passages, ranked)
    assert not refused.found
    assert [c.highlight for c in refused.citations] == [
        "Konferansen samlet 3000 deltakere.",
        "Det møtes to ganger i året.",
    ]
