"""Do the lexical index's rankings move? Each question's top 30 from `LexicalIndex.search`
(Tantivy, stopping early) against a walk over every posting (the index as it was), over the
known facts (the corpus) and NorQuAD validation and test (its passages as `lhl eval --norquad`
chunks them). Prints, per set, how many rankings are the same (documents and order) and how
many scores are bit for bit the same; lists any that moved. Both indexes are built here from
chunks made with the hash embedder (the chunks do not depend on the embedder).

    .venv/bin/python scripts/lexical_rankings.py
    .venv/bin/python scripts/lexical_rankings.py --depth 5 --norquad ../shared/benchmarks/norquad
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.norquad import load_passages, load_split, write_corpus  # noqa: E402
from eval.questions import load_questions  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402
from lhl.embeddings import make_embedder  # noqa: E402
from lhl.index_state import read_state  # noqa: E402
from lhl.lexical import LexicalIndex  # noqa: E402
from lhl.settings import Settings  # noqa: E402
from tests.test_lexical import walk_every_posting  # noqa: E402

KNOWN_FACTS = ROOT / "eval" / "known_facts.jsonl"
NORQUAD = ROOT.parent / "shared" / "benchmarks" / "norquad"


def chunk_terms(corpus: Path, work: Path) -> list[list[str]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, index_dir=work / "index", corpus_dir=corpus, chroma_url=None
    )
    run_ingest(settings, make_embedder("hash"), corpus)
    state = read_state(settings.index_dir)
    assert state is not None
    return state.chunk_terms


def compare(name: str, doc_terms: list[list[str]], questions: list[str], depth: int) -> bool:
    index = LexicalIndex(doc_terms)
    same_rank = same_score = 0
    moved = []
    for q in questions:
        new, old = index.search(q, depth), walk_every_posting(index, q, depth)
        same_rank += [d for d, _ in new] == [d for d, _ in old]
        same_score += new == old
        if new != old:
            moved.append(q)
    print(
        f"{name}: {len(questions)} spørsmål over {index.size} avsnitt, topp {depth}: "
        f"samme rangering {same_rank}, samme poeng (bit for bit) {same_score}"
    )
    for q in moved:
        print(f"  flyttet: {q}")
    return not moved


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--depth", type=int, default=30)
    p.add_argument("--norquad", type=Path, default=NORQUAD)
    args = p.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="lhl-lexical-") as tmp:
        work = Path(tmp)
        corpus_terms = chunk_terms(ROOT / "corpus", work / "corpus-index")
        known = [q.question for q in load_questions(KNOWN_FACTS)]
        ok &= compare("Kjente fakta", corpus_terms, known, args.depth)
        if (args.norquad / "questions.jsonl").exists():
            write_corpus(load_passages(args.norquad), work / "norquad")
            norquad_terms = chunk_terms(work / "norquad", work / "norquad-index")
            for split in ("validation", "test"):
                questions = [q.question for q in load_split(args.norquad, split)]
                ok &= compare(f"NorQuAD {split}", norquad_terms, questions, args.depth)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
