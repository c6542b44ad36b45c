"""BM25 over stemmed Norwegian terms. Chroma's local mode has no sparse index, so this is ours.

Norwegian writes compounds as one word ("følgeevaluering", "kommunikasjonsgruppa"), so a query
term also matches, at a discount, the indexed compounds it ends ("evaluering" →
"følgeevaluering"), and a query compound the index does not know is looked up by its parts
("tiltakspakken" → "tiltak" + "pakk"). Stems are compared, so inflections match too.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from lhl.text import terms

MIN_PART = 4  # shortest compound part we trust ("rad" in "radar" is not a part)
LINKS = ("", "s", "e")  # Norwegian compound joints: "kommunikasjon|s|gruppe"
COMPOUND_WEIGHT = 0.5  # a compound match counts half a direct one
MAX_COMPOUNDS = 12  # compounds per query term, most frequent first


class LexicalIndex:
    def __init__(self, doc_terms: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.size = len(doc_terms)
        self.lengths = [len(t) for t in doc_terms]
        self.avg_len = (sum(self.lengths) / self.size) if self.size else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(doc_terms):
            for term, tf in Counter(doc).items():
                postings[term].append((i, tf))
        # Each term's documents and term frequencies as arrays: a query term's documents are
        # scored at once instead of one by one in Python (at 100k passages a common term has
        # tens of thousands), in an eighth of the memory of tuples. Same floating-point
        # operations in the same order as one by one: the same scores.
        self.postings = {t: np.array([i for i, _ in p], np.int32) for t, p in postings.items()}
        self._tfs = {t: np.array([tf for _, tf in p], np.int32) for t, p in postings.items()}
        del postings
        self.idf = {
            t: math.log(1 + (self.size - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }
        lengths = np.asarray(self.lengths, dtype=np.float64)
        self._norm = self.k1 * (1 - self.b + self.b * lengths / self.avg_len)
        self._compounds = self._compounds_by_head()

    def _compounds_by_head(self) -> dict[str, list[str]]:
        """Indexed compounds by the indexed word they end with."""
        by_head: dict[str, list[str]] = defaultdict(list)
        for term in self.postings:
            if term[0].isdigit():
                continue
            for cut in range(MIN_PART, len(term) - MIN_PART + 1):
                head = term[cut:]
                if head in self.postings and any(
                    term[:cut].endswith(link) and len(term[:cut]) - len(link) >= MIN_PART - 1
                    for link in LINKS
                ):
                    by_head[head].append(term)
                    break  # the longest head is the compound's head
        return {
            h: sorted(ts, key=lambda t: -len(self.postings[t]))[:MAX_COMPOUNDS]
            for h, ts in by_head.items()
        }

    def parts(self, term: str) -> list[str]:
        """An unknown compound's indexed parts: the longest indexed head and, when indexed,
        the rest ("tiltakspakk" → ["pakk", "tiltak"])."""
        for cut in range(MIN_PART - 1, len(term) - MIN_PART + 1):
            head = term[cut:]
            if head in self.postings:
                out = [head]
                for link in LINKS:
                    modifier = term[:cut]
                    if link and modifier.endswith(link):
                        modifier = modifier[: -len(link)]
                    if len(modifier) >= MIN_PART - 1 and modifier in self.postings:
                        out.append(modifier)
                        break
                return out
        return []

    def expand(self, term: str) -> list[tuple[str, float]]:
        """The indexed terms a query term stands for, with their weights."""
        if term in self.postings:
            return [(term, 1.0)] + [(c, COMPOUND_WEIGHT) for c in self._compounds.get(term, ())]
        if term[0].isdigit() or len(term) < MIN_PART:
            return []
        # Not indexed by itself: the compounds that end with it, else its own parts.
        ending = [
            t for t in self.postings if t.endswith(term) and len(t) - len(term) >= MIN_PART - 1
        ]
        if ending:
            ending.sort(key=lambda t: -len(self.postings[t]))
            return [(c, COMPOUND_WEIGHT) for c in ending[:MAX_COMPOUNDS]]
        return [(p, COMPOUND_WEIGHT) for p in self.parts(term)]

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """Top-k (document position, BM25 score); query terms are stemmed like the documents."""
        scores = np.zeros(self.size)
        found = np.zeros(self.size, dtype=bool)
        # In the query's order, not a set's: float sums in a hash-seeded order made equal
        # scores tie-break differently from one process to the next.
        for qterm in dict.fromkeys(terms(query)):
            best = np.zeros(self.size)  # a document counts a query term once: its best match
            for term, weight in self.expand(qterm):
                idf = self.idf[term] * weight
                docs, tf = self.postings[term], self._tfs[term]
                s = idf * tf * (self.k1 + 1) / (tf + self._norm[docs])
                best[docs] = np.maximum(best[docs], s)
            hit = best > 0.0
            scores[hit] += best[hit]
            found |= hit
        hits = np.flatnonzero(found)
        if len(hits) > k > 0:  # the k best, and any tied with the k-th
            kth = np.partition(scores[hits], len(hits) - k)[len(hits) - k]
            hits = hits[scores[hits] >= kth]
        order = np.lexsort((hits, -scores[hits]))[:k]
        return [(int(hits[i]), float(scores[hits[i]])) for i in order]
