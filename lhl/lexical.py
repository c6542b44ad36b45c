"""BM25 over stemmed Norwegian terms. Chroma's local mode has no sparse index, so this is ours.

Norwegian writes compounds as one word ("følgeevaluering", "kommunikasjonsgruppa"), so a query
term also matches, at a discount, the indexed compounds it ends ("evaluering" →
"følgeevaluering"), and a query compound the index does not know is looked up by its parts
("tiltakspakken" → "tiltak" + "pakk"). Stems are compared, so inflections match too.

A document's score is the sum, over the query's terms, of its best match for each: the term
itself, or one of the compounds or parts it stands for at COMPOUND_WEIGHT.

The search stops early. Tantivy indexes our own terms (joined by spaces, split on them again,
nothing else done to them), and its block-max WAND finds the documents with the highest Tantivy
score without reading every posting. That score bounds ours from above: Tantivy counts every
matching term where we count a query term's best match, and rounds each document's length down
(a shorter document scores higher), with the same BM25 otherwise (k1 1.2, b 0.75, the same idf).
The documents it returns are scored again, exactly, from each document's own terms; when the
k-th best exact score beats the lowest Tantivy score returned, no document left out can reach
it, and the k best are exactly those of a walk over every posting. Otherwise Tantivy is asked
for more. The exact scores use the same floating-point operations in the same order as such a
walk, so the scores, and the order of equal scores (by position), are the same too.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import tantivy

from lhl.text import terms

MIN_PART = 4  # shortest compound part we trust ("rad" in "radar" is not a part)
LINKS = ("", "s", "e")  # Norwegian compound joints: "kommunikasjon|s|gruppe"
COMPOUND_WEIGHT = 0.5  # a compound match counts half a direct one
MAX_COMPOUNDS = 12  # compounds per query term, most frequent first

# Tantivy's BM25: its bound holds for these parameters only (others search exhaustively).
ENGINE_K1, ENGINE_B = 1.2, 0.75
SPARE = 4  # documents asked of Tantivy per document wanted
DEEPER = 4  # and this many times more each time that is not enough
# Tantivy scores in float32: a bound within this (relative) of ours may still be below it.
BOUND_MARGIN = 1e-4
MAX_TERM_BYTES = 65_000  # Tantivy drops longer tokens (its limit is 65,530 bytes)
_FIELD, _POSITION, _ANALYZER = "terms", "position", "lhl_terms"
_WRITER_HEAP = 64_000_000

Wanted = list[tuple[int, int, float]]  # (term id, query term, weight)


class LexicalIndex:
    def __init__(self, doc_terms: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.size = len(doc_terms)
        self.lengths = [len(t) for t in doc_terms]
        self.avg_len = (sum(self.lengths) / self.size) if self.size else 1.0
        # Terms numbered in order of first appearance; each document's distinct terms with
        # their frequencies, as one flat table (document i: the slice indptr[i]:indptr[i + 1]).
        self.term_id: dict[str, int] = {}
        ids: list[int] = []
        tfs: list[int] = []
        indptr = np.zeros(self.size + 1, dtype=np.int64)
        for i, doc in enumerate(doc_terms):
            for term, tf in Counter(doc).items():
                ids.append(self.term_id.setdefault(term, len(self.term_id)))
                tfs.append(tf)
            indptr[i + 1] = len(ids)
        self._indptr = indptr
        self._names = list(self.term_id)
        self._doc_term = np.array(ids, dtype=np.int32)
        self._doc_tf = np.array(tfs, dtype=np.int32)
        del ids, tfs
        counts = np.bincount(self._doc_term, minlength=len(self.term_id))
        self.df: dict[str, int] = dict(zip(self.term_id, counts.tolist(), strict=True))
        self.idf = {t: math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for t, n in self.df.items()}
        self._idf = np.fromiter(self.idf.values(), dtype=np.float64, count=len(self.idf))
        lengths = np.asarray(self.lengths, dtype=np.float64)
        self._norm = self.k1 * (1 - self.b + self.b * lengths / self.avg_len)
        self._compounds = self._compounds_by_head()
        self._reversed = sorted(t[::-1] for t in self.term_id)
        # Tantivy's scores bound ours only with its own parameters and with every term indexed
        # as one token of its own; otherwise every match is scored.
        self._exhaustive = (k1, b) != (ENGINE_K1, ENGINE_B) or any(
            t.split() != [t] or len(t.encode()) > MAX_TERM_BYTES for t in self.term_id
        )
        self._engine = _Engine(doc_terms)

    def _compounds_by_head(self) -> dict[str, list[str]]:
        """Indexed compounds by the indexed word they end with."""
        by_head: dict[str, list[str]] = defaultdict(list)
        for term in self.term_id:
            if term[0].isdigit():
                continue
            for cut in range(MIN_PART, len(term) - MIN_PART + 1):
                head = term[cut:]
                if head in self.term_id and any(
                    term[:cut].endswith(link) and len(term[:cut]) - len(link) >= MIN_PART - 1
                    for link in LINKS
                ):
                    by_head[head].append(term)
                    break  # the longest head is the compound's head
        return {h: self._most_frequent(ts)[:MAX_COMPOUNDS] for h, ts in by_head.items()}

    def _most_frequent(self, found: list[str]) -> list[str]:
        """In most documents first; ties in order of first appearance."""
        return sorted(found, key=lambda t: (-self.df[t], self.term_id[t]))

    def _ending_with(self, term: str) -> list[str]:
        """The indexed terms that end with `term`: a range of the sorted reversed terms."""
        rev, out = term[::-1], []
        for i in range(bisect_left(self._reversed, rev), len(self._reversed)):
            if not self._reversed[i].startswith(rev):
                break
            out.append(self._reversed[i][::-1])
        return out

    def parts(self, term: str) -> list[str]:
        """An unknown compound's indexed parts: the longest indexed head and, when indexed,
        the rest ("tiltakspakk" → ["pakk", "tiltak"])."""
        for cut in range(MIN_PART - 1, len(term) - MIN_PART + 1):
            head = term[cut:]
            if head in self.term_id:
                out = [head]
                for link in LINKS:
                    modifier = term[:cut]
                    if link and modifier.endswith(link):
                        modifier = modifier[: -len(link)]
                    if len(modifier) >= MIN_PART - 1 and modifier in self.term_id:
                        out.append(modifier)
                        break
                return out
        return []

    def expand(self, term: str) -> list[tuple[str, float]]:
        """The indexed terms a query term stands for, with their weights."""
        if term in self.term_id:
            return [(term, 1.0)] + [(c, COMPOUND_WEIGHT) for c in self._compounds.get(term, ())]
        if term[0].isdigit() or len(term) < MIN_PART:
            return []
        # Not indexed by itself: the compounds that end with it, else its own parts.
        ending = [t for t in self._ending_with(term) if len(t) - len(term) >= MIN_PART - 1]
        if ending:
            return [(c, COMPOUND_WEIGHT) for c in self._most_frequent(ending)[:MAX_COMPOUNDS]]
        return [(p, COMPOUND_WEIGHT) for p in self.parts(term)]

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """Top-k (document position, BM25 score); query terms are stemmed like the documents.
        Equal scores rank by position."""
        # In the query's order, not a set's: float sums in a hash-seeded order made equal
        # scores tie-break differently from one process to the next.
        wanted: Wanted = []
        for slot, qterm in enumerate(dict.fromkeys(terms(query))):
            wanted += [(self.term_id[t], slot, w) for t, w in self.expand(qterm)]
        if k <= 0 or not wanted:
            return []
        # Each term once, weighted by what it can add over all query terms: the bound sums.
        weights: dict[str, float] = defaultdict(float)
        best: dict[tuple[int, int], float] = {}
        for tid, slot, w in wanted:
            best[tid, slot] = max(best.get((tid, slot), 0.0), w)
        for (tid, _), w in best.items():
            weights[self._names[tid]] += w
        engine_query = self._engine.query(weights)
        limit = self.size if self._exhaustive else min(self.size, SPARE * k)
        while True:
            docs, bounds = self._engine.search(engine_query, limit)
            scores = self._score(docs, wanted)
            if len(docs) < limit or limit == self.size:  # every match is among them
                break
            kth = self._kth(scores, k)
            if kth > bounds[-1] * (1 + BOUND_MARGIN):  # no document left out can reach it
                break
            limit = min(self.size, limit * DEEPER)
        if len(docs) > k:  # the k best, and any tied with the k-th
            keep = scores >= self._kth(scores, k)
            docs, scores = docs[keep], scores[keep]
        order = np.lexsort((docs, -scores))[:k]
        return [(int(docs[i]), float(scores[i])) for i in order]

    @staticmethod
    def _kth(scores: np.ndarray, k: int) -> float:
        """The k-th best score; 0 when there are fewer."""
        if len(scores) < k:
            return 0.0
        return float(np.partition(scores, len(scores) - k)[len(scores) - k])

    def _score(self, docs: np.ndarray, wanted: Wanted) -> np.ndarray:
        """Exact BM25 scores of `docs`, from each document's own terms, as a walk over every
        posting computes them: a query term counts once per document (its best match), and
        the query terms' contributions are added in the query's order."""
        slots = wanted[-1][1] + 1
        starts = self._indptr[docs]
        counts = self._indptr[docs + 1] - starts
        # Every document's (term, tf) cells, one document after the other.
        cells = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
        cell_doc = np.repeat(np.arange(len(docs)), counts)
        # Which wanted entries each cell's term is: usually none, sometimes one, rarely more
        # (a term asked for and also a compound of another query term).
        by_term = sorted(wanted)
        want_term = np.array([w[0] for w in by_term], dtype=np.int32)
        want_slot = np.array([w[1] for w in by_term], dtype=np.intp)
        want_weight = np.array([w[2] for w in by_term], dtype=np.float64)
        cell_term = self._doc_term[cells]
        hit = np.flatnonzero(np.isin(cell_term, want_term, kind="table"))
        hit_term = cell_term[hit]
        first = np.searchsorted(want_term, hit_term, side="left")
        n_match = np.searchsorted(want_term, hit_term, side="right") - first
        hit_cell = np.repeat(hit, n_match)
        entry = np.repeat(first - np.cumsum(n_match) + n_match, n_match) + np.arange(len(hit_cell))
        tf = self._doc_tf[cells[hit_cell]]
        row = cell_doc[hit_cell]
        # A walk's operations, element by element: (idf × weight) × tf × (k1 + 1) / (tf + norm).
        idf = self._idf[cell_term[hit_cell]] * want_weight[entry]
        s = idf * tf * (self.k1 + 1) / (tf + self._norm[docs[row]])
        best = np.zeros((len(docs), slots))
        np.maximum.at(best, (row, want_slot[entry]), s)
        # Left to right, from 0.0, as a walk adds each query term's best: accumulate is
        # sequential (a sum along an axis may add pairwise, in another order).
        return np.add.accumulate(best, axis=1)[:, -1] if slots else np.zeros(len(docs))


class _Engine:
    """The documents' terms in a Tantivy index in memory: one text field of the terms joined
    by spaces (split on whitespace, nothing else), and each document's position."""

    def __init__(self, doc_terms: Sequence[Sequence[str]]) -> None:
        analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field(_FIELD, tokenizer_name=_ANALYZER, index_option="freq")
        builder.add_integer_field(_POSITION, fast=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        self.index.register_tokenizer(_ANALYZER, analyzer)
        writer = self.index.writer(heap_size=_WRITER_HEAP, num_threads=1)
        for i, doc in enumerate(doc_terms):
            writer.add_document(tantivy.Document(**{_FIELD: " ".join(doc), _POSITION: i}))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        # One segment written by one thread numbers its documents in the order they came.
        self.in_order = self.searcher.num_segments <= 1

    def query(self, weights: dict[str, float]) -> tantivy.Query:
        clauses = []
        for term, weight in weights.items():
            q = tantivy.Query.term_query(self.schema, _FIELD, term, index_option="freq")
            clauses.append(
                (tantivy.Occur.Should, q if weight == 1.0 else tantivy.Query.boost_query(q, weight))
            )
        return tantivy.Query.boolean_query(clauses)

    def search(self, query: tantivy.Query, limit: int) -> tuple[np.ndarray, list[float]]:
        """The `limit` documents with the highest Tantivy scores (positions), and those scores,
        highest first."""
        hits = self.searcher.search(query, limit, count=False).hits
        if self.in_order:
            docs = np.array([a.doc for _, a in hits], dtype=np.int64)
        else:
            stored = self.searcher.fast_field_values(_POSITION, [a for _, a in hits])
            docs = np.array(stored, dtype=np.int64)
        return docs, [s for s, _ in hits]
