"""BM25 over stemmed Norwegian terms. Chroma's local mode has no sparse index, so this is ours."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from lhl.text import terms


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
        self.postings = dict(postings)
        self.idf = {
            t: math.log(1 + (self.size - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        """Top-k (document position, BM25 score); query terms are stemmed like the documents."""
        scores: dict[int, float] = defaultdict(float)
        for term in set(terms(query)):
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf[term]
            for i, tf in postings:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg_len)
                scores[i] += idf * tf * (self.k1 + 1) / (tf + norm)
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
