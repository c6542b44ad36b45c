"""Fit the answer's verifier (assistant/decide.py) and write models/decision/decision.json.

    make train-decision    # = .venv/bin/python -m training.fit_decision --case … --norquad-reader …

Data (training only; the known facts are the development set, NorQuAD test is never used):
- the everyday questions of a document, read by a reader trained *without* that document's
  questions (`--case DOC=READER_DIR`; the document-held-out readers of `make train-reader`):
  the verifier learns from margins like those a new question gets, not from questions the
  reader has learnt by heart;
- NorQuAD's held-out training articles (training/heldout.py), read by a reader that never
  trained on them.

Each question is answered by the answer step (assistant/extract.py) as the service answers
it, with the reader and without; its best candidate is labelled 1 when it is the evidence
sentence (NorQuAD: when it holds the answer). One logistic regression per mode over the best
candidate's inputs and its lead over the runner-up, standardised, with C chosen by grouped
5-fold cross-validation (log loss); its out-of-fold calibration goes in the model card.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training.everyday_data import plain

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "models" / "decision" / "decision.json"
HELDOUT = ROOT / ".lhl" / "reader-heldout"
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
log = logging.getLogger("fit_decision")


@dataclass(frozen=True)
class Case:
    """One question as the verifier sees it, with the reader (`read`) and without."""

    group: str
    answerable: bool
    read: dict[str, float]
    read_label: int
    lexical: dict[str, float]
    lexical_label: int


def collect(assistant: Any, items: list[tuple[str, str, bool, Any]], label: Any) -> list[Case]:
    """(id, question, answerable, gold) → cases; `label(candidate, passages, gold)` says
    whether a candidate answers."""
    from assistant import decide, reading
    from assistant.extract import extract

    index = assistant.index
    idf = index.lexical.idf
    blank = decide.untrained()
    pool = ThreadPoolExecutor(max_workers=1)
    cases = []
    for qid, question, answerable, gold in items:
        q, passages, _ = assistant.gather(question, index)
        readings = reading.read_within(assistant.reader, pool, question, passages, 600.0) or {}
        ordered = assistant.reading_order(index, q, passages, readings)
        out: list[tuple[dict[str, float], int]] = []
        for ps, rs in ((ordered, readings), (passages, None)):
            found = extract(q, ps, idf, rs, blank)
            if not found.ranked:
                out.append(({}, 0))
                continue
            row = decide.verifier_row(found.inputs, [c.score for c in found.ranked])
            out.append((row, int(answerable and label(found.ranked[0], ps, gold))))
        cases.append(Case(qid, answerable, out[0][0], out[0][1], out[1][0], out[1][1]))
    return cases


def _everyday_label(cand: Any, passages: Any, gold: tuple[str, int, str]) -> bool:
    """The unit that holds the evidence (training/everyday_data.locate), wherever retrieval
    put its chunk: the same chunk and place, or the same text in an overlapping chunk."""
    chunk_id, unit_index, unit_text = gold
    if passages[cand.passage_index].chunk.id == chunk_id:
        return bool(cand.sentence_index == unit_index)
    return len(unit_text) >= 8 and plain(cand.text) == unit_text


def _norquad_label(cand: Any, passages: Any, answer: str) -> bool:
    from lhl.text import normalize

    return normalize(answer) in normalize(cand.answer_text)


def assistant_for(reader_dir: Path, index_dir: Path | None = None) -> Any:
    from assistant import decide
    from assistant.service import Assistant
    from lhl.settings import get_settings

    settings = get_settings()
    update: dict[str, Any] = {"reader_dir": reader_dir, "reader_threads": os.cpu_count() or 2}
    if index_dir is not None:
        update |= {"index_dir": index_dir, "chroma_url": None}
    a = Assistant(settings.model_copy(update=update), decision=decide.untrained())
    a.load()
    return a


def everyday_cases(doc: str, reader_dir: Path) -> list[Case]:
    from assistant.answerer import units
    from training.everyday_data import corpus_chunks, load_questions, locate

    chunks = corpus_chunks()
    items = []
    for q in load_questions():
        at = locate(q.doc, q.evidence, chunks) if q.doc == doc else None
        if at is not None:
            chunk = chunks[at[0]]
            gold = (chunk.id, at[1], plain(units(chunk.text)[at[1]].text))
            items.append((q.id, q.question, q.answerable, gold))
    return collect(assistant_for(reader_dir), items, _everyday_label)


def norquad_cases(reader_dir: Path) -> list[Case]:
    from eval.norquad import build_index, load_split
    from lhl.settings import get_settings

    settings = build_index(get_settings(), HELDOUT)
    questions = load_split(HELDOUT, "validation")
    items = [(q.id, q.question, True, q.answers[0]) for q in questions]
    return collect(assistant_for(reader_dir, settings.index_dir), items, _norquad_label)


def _lr(
    x: Any, y: Any, groups: Any, names: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """A standardised logistic regression with C by grouped 5-fold CV (log loss): (model as
    decide.Linear's dict, figures, out-of-fold log-odds)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import GroupKFold

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    losses, oof = {}, {}
    for c_value in C_GRID:
        pred = np.zeros(len(y))
        for train, test in GroupKFold(n_splits=5).split(z, y, groups):
            m = LogisticRegression(C=c_value, max_iter=2000).fit(z[train], y[train])
            pred[test] = m.decision_function(z[test])
        losses[c_value] = round(float(log_loss(y, 1 / (1 + np.exp(-pred)))), 5)
        oof[c_value] = pred
    best_c = min(losses, key=losses.__getitem__)
    m = LogisticRegression(C=best_c, max_iter=2000).fit(z, y)
    model = {
        "names": list(names),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in m.coef_[0]],
        "intercept": round(float(m.intercept_[0]), 6),
    }
    figures = {"C": best_c, "cv_log_loss": losses, "rows": int(len(y)), "positives": int(y.sum())}
    return model, figures, oof[best_c]


def fit(cases: list[Case], read: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """One mode's verifier: (model as decide.Linear's dict, figures with the out-of-fold
    reliability table)."""
    import numpy as np

    from assistant import decide

    names = decide.VERIFIER if read else decide.VERIFIER_LEXICAL
    rows = [(c.read, c.read_label) if read else (c.lexical, c.lexical_label) for c in cases]
    keep = [(r, lab, c.group) for (r, lab), c in zip(rows, cases, strict=True) if r]
    x = np.array([[r[n] for n in names] for r, _, _ in keep], dtype=float)
    y = np.array([lab for _, lab, _ in keep])
    model, figures, oof = _lr(x, y, np.array([g for _, _, g in keep]), names)
    prob = 1 / (1 + np.exp(-oof))
    table = []
    for lo in (0.0, 0.2, 0.4, 0.6, 0.8):
        inside = (prob >= lo) & (prob < lo + 0.2 if lo < 0.8 else prob <= 1.0)
        if inside.any():
            table.append(
                {
                    "from": lo,
                    "to": round(lo + 0.2, 1),
                    "questions": int(inside.sum()),
                    "mean_confidence": round(float(prob[inside].mean()), 3),
                    "right": round(float(y[inside].mean()), 3),
                }
            )
    figures["out_of_fold_reliability"] = table
    figures["best_is_right"] = round(float(y.mean()), 4)
    return model, figures


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description="Tilpass svarvalget (assistant/decide.py).")
    p.add_argument(
        "--case",
        action="append",
        default=[],
        help="DOC=READER_DIR: dokumentets hverdagsspørsmål, lest av en leser trent uten dem",
    )
    p.add_argument(
        "--norquad-reader", type=Path, help="leseren som leser NorQuADs holdt-ute artikler"
    )
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--cache", type=Path, default=ROOT / ".lhl" / "decision-cases.json")
    p.add_argument("--seed", type=int, default=20261206)
    p.add_argument(
        "--from-cache",
        action="store_true",
        help="tilpass på nytt fra --cache (uten å lese spørsmålene igjen)",
    )
    p.add_argument(
        "--exclude-doc",
        help="la dette dokumentets spørsmål ligge (tallet for et dokument holdt ute)",
    )
    return p


def _cases(args: argparse.Namespace) -> tuple[list[Case], dict[str, int]]:
    """The cases to fit on (read now, or from --cache) and how many came from each source;
    with --from-cache, `args.case` is emptied (no reader read them in this run)."""
    cases: list[Case] = []
    sources: dict[str, int] = {}
    if args.from_cache:
        cases = [Case(**c) for c in json.loads(args.cache.read_text(encoding="utf-8"))]
        args.case = []
    for spec in args.case:
        doc, reader_dir = spec.split("=", 1)
        got = everyday_cases(doc, Path(reader_dir))
        sources[f"everyday:{doc}"] = len(got)
        cases += got
        log.info("%s: %d questions", doc, len(got))
    if args.norquad_reader:
        got = norquad_cases(args.norquad_reader)
        sources["norquad-heldout"] = len(got)
        cases += got
    if not args.from_cache:
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_text(json.dumps([c.__dict__ for c in cases]), encoding="utf-8")
    if args.exclude_doc:
        cases = [c for c in cases if not c.group.startswith(f"{args.exclude_doc}.")]
    if args.from_cache:
        for c in cases:
            key = c.group.split(".")[0] if "." in c.group else "norquad-heldout"
            sources[key] = sources.get(key, 0) + 1
    return cases, sources


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cases, sources = _cases(args)
    reader_model, reader_fig = fit(cases, read=True)
    lexical_model, lexical_fig = fit(cases, read=False)
    log.info("reader: %s", reader_fig)
    log.info("lexical: %s", lexical_fig)
    out = {
        "reader": reader_model,
        "lexical": lexical_model,
        "meta": {
            "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
            "data": sources,
            "readers": args.case
            + ([f"norquad-heldout={args.norquad_reader}"] if args.norquad_reader else []),
            "fit": {"reader": reader_fig, "lexical": lexical_fig},
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
