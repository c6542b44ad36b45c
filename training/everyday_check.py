"""Mechanical checks of the everyday training questions (training/everyday/*.jsonl).

Every line must hold:
- `id`, `doc` (a doc_id of corpus/manifest.json), `question`, `answerable` (bool), `kind`;
- `evidence`: an exact piece (whitespace aside) of one sentence of that document, at least 15
  characters, or the whole sentence. For an unanswerable question it is the sentence whose
  words the question borrows (the near miss);
- `answer`: for an answerable question, an exact piece (case aside) of the evidence: the words
  that answer it ("gratis", "kommunestyret"); `null` when unanswerable.

And across the set:
- no evidence sentence that a known-facts question (eval/known_facts.jsonl) cites: the
  development set's facts are kept out of training;
- no question that repeats another, or is close to a known-facts question (token Jaccard
  >= 0.6).

    .venv/bin/python -m training.everyday_check [FILES ...]   # default: all of training/everyday
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lhl.text import sentences

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
KNOWN_FACTS = ROOT / "eval" / "known_facts.jsonl"
EVERYDAY = ROOT / "training" / "everyday"
KINDS = {
    "hva",
    "hvem",
    "når",
    "hvor",
    "hvor_mange",
    "hvorfor",
    "hvordan",
    "ja_nei",
    "liste",
    "annet",
}
MIN_EVIDENCE = 15
TOO_CLOSE = 0.6


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def jaccard(a: str, b: str) -> float:
    x, y = words(a), words(b)
    return len(x & y) / len(x | y) if x | y else 0.0


@dataclass(frozen=True)
class Document:
    doc_id: str
    sentences: tuple[str, ...]
    forbidden: frozenset[int]  # sentences a known-facts question cites


def documents(corpus: Path = CORPUS, known_facts: Path = KNOWN_FACTS) -> dict[str, Document]:
    """Each document of the manifest as sentences (lines first, then `lhl.text.sentences`),
    with the sentences that hold a known fact's evidence marked."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    facts = [json.loads(line) for line in known_facts.read_text(encoding="utf-8").splitlines()]
    docs = {}
    for d in manifest["documents"]:
        text = (corpus / d["file"]).read_text(encoding="utf-8")
        sents = tuple(
            squash(s) for line in text.splitlines() if line.strip() for s in sentences(line)
        )
        cited = [
            squash(f["evidence"]).lower()
            for f in facts
            if f["doc"] == d["doc_id"] and f.get("evidence")
        ]
        forbidden = frozenset(i for i, s in enumerate(sents) if any(e in s.lower() for e in cited))
        docs[d["doc_id"]] = Document(d["doc_id"], sents, forbidden)
    return docs


def locate(doc: Document, evidence: str) -> int | None:
    """The sentence the evidence is cut from (the first, when several hold it)."""
    ev = squash(evidence)
    if len(ev) < MIN_EVIDENCE and ev not in doc.sentences:
        return None
    for i, s in enumerate(doc.sentences):
        if ev in s:
            return i
    return None


def check_row(row: dict[str, object], docs: dict[str, Document]) -> list[str]:
    """What is wrong with one question (empty when it passes)."""
    problems = []
    for key in ("id", "doc", "question", "answerable", "evidence", "kind"):
        if key not in row:
            problems.append(f"mangler {key}")
    if problems:
        return problems
    doc = docs.get(str(row["doc"]))
    if doc is None:
        return [f"ukjent doc {row['doc']}"]
    if row["kind"] not in KINDS:
        problems.append(f"ukjent kind {row['kind']}")
    if not isinstance(row["answerable"], bool):
        problems.append("answerable må være true/false")
    at = locate(doc, str(row["evidence"]))
    if at is None:
        problems.append("evidence står ikke ordrett i dokumentet (eller er under 15 tegn)")
    elif at in doc.forbidden:
        problems.append(f"evidence-setning {at} er sitert av et kjent faktum")
    answer = row.get("answer")
    if row["answerable"] is True:
        if not isinstance(answer, str) or not answer.strip():
            problems.append("answer mangler")
        elif squash(answer).lower() not in squash(str(row["evidence"])).lower():
            problems.append("answer står ikke i evidence")
    elif answer not in (None, ""):
        problems.append("answer skal være null når answerable er false")
    if not str(row["question"]).strip():
        problems.append("tomt spørsmål")
    return problems


def load_rows(files: list[Path]) -> list[tuple[Path, int, dict[str, object]]]:
    rows = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append((f, n, json.loads(line)))
    return rows


def check(files: list[Path]) -> tuple[int, list[str], Counter[str]]:
    """(questions that pass, problems as lines, counts)."""
    docs = documents()
    facts = [json.loads(line) for line in KNOWN_FACTS.read_text(encoding="utf-8").splitlines()]
    seen: dict[str, str] = {}
    ids: set[str] = set()
    problems = []
    counts: Counter[str] = Counter()
    ok = 0
    for f, n, row in load_rows(files):
        found = check_row(row, docs)
        q = squash(str(row.get("question", ""))).lower()
        if q in seen:
            found.append(f"samme spørsmål som {seen[q]}")
        seen.setdefault(q, str(row.get("id")))
        if row.get("id") in ids:
            found.append("id brukt før")
        ids.add(str(row.get("id")))
        near = [k["id"] for k in facts if jaccard(k["question"], q) >= TOO_CLOSE]
        if near:
            found.append(f"for likt kjent faktum {near[0]}")
        if found:
            problems.append(f"{f.name}:{n} {row.get('id')}: " + "; ".join(found))
            continue
        ok += 1
        counts["answerable" if row["answerable"] else "unanswerable"] += 1
        counts[f"kind:{row['kind']}"] += 1
        counts[f"doc:{row['doc']}"] += 1
    return ok, problems, counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Sjekk hverdagsspørsmålene for trening.")
    p.add_argument("files", nargs="*", type=Path)
    args = p.parse_args(argv)
    files = args.files or sorted(EVERYDAY.glob("*.jsonl"))
    ok, problems, counts = check(files)
    for line in problems:
        print(line)
    print(f"{ok} godkjent, {len(problems)} med feil")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
