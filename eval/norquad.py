"""NorQuAD as an external benchmark: its passages become a corpus, its questions an eval file.

`run_norquad()` builds (or reuses) a temporary index of the 481 passages, runs one split's
questions through the in-process assistant with the ordinary eval scoring, and adds retrieval
figures (recall@1, recall@5, MRR over passage ids) for BM25 alone, dense alone and the fusion
the assistant uses. The main index is never touched.

The built index is cached under `.lhl/cache/norquad-<hash>`, keyed by the passages file, the
embedder and the chunker version, so repeated dev runs do not re-embed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eval.questions import EvalQuestion
from eval.records import EvalReport, Result, RetrievalScores
from eval.report import build_report, write_reports
from eval.runner import InProcessTarget, run
from lhl.records import Chunk, Mode
from lhl.settings import Settings

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

SPLITS = ("validation", "test")
INGEST_THREADS = 2
METRIC_DEPTH = 30  # chunks per ranking when locating the gold passage
MRR_AT = 10  # passages
CORPUS_FORMAT = "1"  # bump when passage_file_text() changes
KEEP_CACHES = 2
# The same article twice, one sentence moved (see the benchmark README): either one counts.
EQUIVALENT_PASSAGES = (frozenset({"norquad-p-e3a9a9399241", "norquad-p-5ca5f889d540"}),)


@dataclass(frozen=True)
class NorquadPassage:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class NorquadQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    passage_id: str
    split: str
    domain: str

    def to_eval(self) -> EvalQuestion:
        return EvalQuestion(
            id=self.id,
            question=self.question,
            expected=self.answers,
            evidence=self.answers[0] if self.answers else None,
            answerable=True,
            tags={"domain": self.domain, "passage": self.passage_id},
        )


def load_passages(data_dir: Path) -> list[NorquadPassage]:
    with (data_dir / "passages.jsonl").open(encoding="utf-8") as f:
        return [
            NorquadPassage(raw["id"], raw["title"], raw["text"])
            for raw in map(json.loads, filter(str.strip, f))
        ]


def load_split(data_dir: Path, split: str) -> list[NorquadQuestion]:
    if split not in SPLITS:
        raise ValueError(f"ukjent del av NorQuAD: {split!r} (velg {', '.join(SPLITS)})")
    out = []
    with (data_dir / "questions.jsonl").open(encoding="utf-8") as f:
        for raw in map(json.loads, filter(str.strip, f)):
            if raw["split"] == split:
                out.append(
                    NorquadQuestion(
                        raw["id"],
                        raw["question"],
                        tuple(raw["answers"]),
                        raw["passage_id"],
                        raw["split"],
                        raw.get("domain", ""),
                    )
                )
    return out


# -- the temporary index ---------------------------------------------------------------------
# How the passages are written as files: "paragraphs" with blank lines between the lines of
# a context (the runner's form), "raw" as the context is (one newline between paragraphs, as
# people write plain text), "wrapped" as raw, hard-wrapped at 76 characters.
TEXT_FORMS = ("paragraphs", "raw", "wrapped")
WRAP_AT = 76


def passage_file_text(passage: NorquadPassage, form: str = "paragraphs") -> str:
    """Each line of a NorQuAD context (headline, paragraphs, sub-headings) is its own block,
    so the corpus reader keeps the article's structure instead of running it together."""
    if form == "raw":
        return passage.text + "\n"
    if form == "wrapped":
        return "\n".join(textwrap.fill(line, WRAP_AT) for line in passage.text.split("\n")) + "\n"
    return "\n\n".join(line.strip() for line in passage.text.split("\n") if line.strip()) + "\n"


def cache_key(data_dir: Path, embedder_name: str, form: str = "paragraphs") -> str:
    from ingest.chunker import CHUNKER_VERSION

    h = hashlib.sha256()
    h.update((data_dir / "passages.jsonl").read_bytes())
    h.update(f"\x1f{embedder_name}\x1f{CHUNKER_VERSION}\x1f{CORPUS_FORMAT}".encode())
    if form != "paragraphs":  # the runner's own form keeps its old key
        h.update(f"\x1f{form}".encode())
    return h.hexdigest()[:16]


def write_corpus(
    passages: Sequence[NorquadPassage], corpus_dir: Path, form: str = "paragraphs"
) -> None:
    corpus_dir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for p in passages:
        (corpus_dir / f"{p.id}.txt").write_text(passage_file_text(p, form), encoding="utf-8")
        manifest.append({"file": f"{p.id}.txt", "doc_id": p.id, "title": p.title})
    (corpus_dir / "manifest.json").write_text(
        json.dumps({"documents": manifest}, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def norquad_settings(settings: Settings, index_dir: Path) -> Settings:
    return settings.model_copy(
        update={
            "index_dir": index_dir,
            "corpus_dir": index_dir.parent / "corpus",
            "chroma_url": None,
        }
    )


def build_index(
    settings: Settings, data_dir: Path, cache_root: Path | None = None, form: str = "paragraphs"
) -> Settings:
    """Settings pointing at a built NorQuAD index, from the cache when one is there."""
    from ingest.pipeline import run_ingest
    from lhl.embeddings import make_embedder

    embedder = make_embedder(settings.embeddings, threads=INGEST_THREADS)
    cache_root = cache_root or settings.index_dir.parent / "cache"
    target = cache_root / f"norquad-{cache_key(data_dir, embedder.name, form)}"
    if (target / "index" / "state.json").exists():
        return norquad_settings(settings, target / "index")
    cache_root.mkdir(parents=True, exist_ok=True)
    previous = _latest_cache(cache_root, embedder.name)
    building = Path(tempfile.mkdtemp(prefix=".norquad-build-", dir=cache_root))
    try:
        write_corpus(load_passages(data_dir), building / "corpus", form)
        if previous is not None:
            # Vectors are stored by chunk content, so a new chunker version re-embeds only
            # the chunks whose text changed.
            shutil.copytree(previous, building / "index")
        # Chroma keeps absolute paths nowhere, so the finished folder can be moved into place.
        run_ingest(norquad_settings(settings, building / "index"), embedder, building / "corpus")
        try:
            building.rename(target)
        except OSError:  # another run finished first; its index is as good as ours
            shutil.rmtree(building, ignore_errors=True)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _prune(cache_root, keep=KEEP_CACHES)
    return norquad_settings(settings, target / "index")


def _prune(cache_root: Path, keep: int) -> None:
    """Superseded caches (~20 MB each) go, the newest `keep` stay."""
    finished = sorted(cache_root.glob("norquad-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in finished[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def _latest_cache(cache_root: Path, embedder_name: str) -> Path | None:
    """The index folder of the newest finished NorQuAD cache built with this embedder."""
    from lhl.index_state import read_state

    found = []
    for folder in cache_root.glob("norquad-*"):
        try:
            state = read_state(folder / "index")
        except (OSError, ValueError, KeyError):
            continue
        if state is not None and state.embedder == embedder_name:
            found.append(((folder / "index" / "state.json").stat().st_mtime, folder / "index"))
    return max(found)[1] if found else None


# -- retrieval metrics -----------------------------------------------------------------------
def passage_ranking(chunks: Sequence[Chunk]) -> list[str]:
    """Chunks mapped back to their passages, first occurrence kept."""
    return list(dict.fromkeys(c.doc_id for c in chunks))


def gold_rank(ranking: Sequence[str], gold: str) -> int | None:
    """1-based rank of the gold passage (or its near-duplicate twin), None when absent."""
    accepted = {gold}
    for group in EQUIVALENT_PASSAGES:
        if gold in group:
            accepted |= group
    return next((i for i, pid in enumerate(ranking, start=1) if pid in accepted), None)


def retrieval_scores(ranks: Sequence[int | None]) -> RetrievalScores:
    n = len(ranks) or 1
    return RetrievalScores(
        recall_at_1=round(sum(r == 1 for r in ranks) / n, 4),
        recall_at_5=round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
        mrr=round(sum(1 / r for r in ranks if r is not None and r <= MRR_AT) / n, 4),
    )


def retrieval_ranks(
    assistant: Assistant, questions: Sequence[NorquadQuestion]
) -> dict[str, list[int | None]]:
    """The gold passage's rank for each question under BM25, dense and the assistant's fusion."""
    from assistant.retriever import fuse

    index = assistant.index
    weight = assistant.retriever.fusion_weight(index)
    ranks: dict[str, list[int | None]] = {"bm25": [], "dense": [], "fused": []}
    for q in questions:
        lexical = index.lexical_search(q.question, METRIC_DEPTH)
        dense = index.dense_search(q.question, METRIC_DEPTH)
        fused = [p.chunk for p in fuse([(lexical, 1.0), (dense, weight)], METRIC_DEPTH)]
        for name, chunks in (
            ("bm25", [c for c, _ in lexical]),
            ("dense", [c for c, _ in dense]),
            ("fused", fused),
        ):
            ranks[name].append(gold_rank(passage_ranking(chunks), q.passage_id))
    return ranks


# -- the run ---------------------------------------------------------------------------------
def run_norquad(
    settings: Settings,
    data_dir: Path,
    split: str,
    out_dir: Path | None = None,
    limit: int | None = None,
    mode: Mode | None = None,
    on_result: Callable[[Result], None] | None = None,
    form: str = "paragraphs",
) -> EvalReport:
    """Answer one NorQuAD split over its own temporary index: the report of
    eval/report.build_report with retrieval figures added to the summary."""
    from assistant.service import Assistant

    questions = load_split(data_dir, split)
    if limit is not None:
        questions = questions[:limit]
    nq_settings = build_index(settings, data_dir, form=form)
    assistant = Assistant(nq_settings)
    assistant.load()
    results = run(InProcessTarget(assistant, mode), [q.to_eval() for q in questions], on_result)
    report = build_report(
        results,
        {
            "benchmark": f"NorQuAD {split}" + ("" if form == "paragraphs" else f" ({form})"),
            "created": datetime.now().astimezone().isoformat(timespec="seconds"),
            "data": str(data_dir),
            "target": "i prosess",
            "embeddings": assistant.embedder.name,
            "answerer": assistant.answerer_name,
            "decision": assistant.decision_settings,
            "index": str(nq_settings.index_dir),
        },
    )
    ranks = retrieval_ranks(assistant, questions)
    report.summary = replace(
        report.summary,
        retrieval=retrieval_scores(ranks["fused"]),
        retrieval_by_ranker={name: retrieval_scores(ranks[name]) for name in ("bm25", "dense")},
    )
    if out_dir is not None:
        write_reports(report, out_dir)
    return report
