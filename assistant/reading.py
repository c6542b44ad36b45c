"""The reading step, between retrieval and the answer: the reader (assistant/reader.py)
reads the top passages within a time budget; its margins are inputs to the learned decision
(assistant/decide.py), and its span is the citation's highlight.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from assistant import answerer
from assistant.reader import Reader, Reading
from lhl.records import Passage

log = logging.getLogger(__name__)
T = TypeVar("T")

READ_K = 5  # passages the reader reads (8 gained nothing on NorQuAD held out, at twice the time)


class ReadingPool(concurrent.futures.ThreadPoolExecutor):
    """The threads that read, one reading each at a time, and how long a reading has taken
    lately (wall time, so it counts a busy machine too): a question whose reading could not
    finish within its budget behind the readings already queued is answered without the
    reader at once, instead of waiting out the budget first."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="reader")
        self.workers = workers
        self.reading_s = 0.0  # moving average of one reading's duration
        self._unfinished = 0
        self._lock = threading.Lock()

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        def timed() -> T:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                took = time.perf_counter() - started
                with self._lock:
                    self.reading_s = (
                        took if not self.reading_s else 0.8 * self.reading_s + 0.2 * took
                    )

        with self._lock:
            self._unfinished += 1
        future = super().submit(timed)
        future.add_done_callback(self._finished)  # also when cancelled
        return future

    def _finished(self, _: object) -> None:
        with self._lock:
            self._unfinished -= 1

    def too_busy(self, budget_s: float) -> bool:
        """Whether every worker is reading and a reading submitted now would not be done
        within `budget_s` (a worker's share of those ahead of it, then its own). With a worker
        free it never is: the reader keeps reading whatever a slow reading did to the average."""
        with self._lock:
            if self._unfinished < self.workers:
                return False
            return (self._unfinished // self.workers + 1) * self.reading_s > budget_s


def read_within(
    reader: Reader,
    pool: concurrent.futures.Executor,
    question: str,
    passages: Sequence[Passage],
    budget_s: float,
) -> dict[str, Reading] | None:
    """The reader's readings of the top READ_K passages by chunk id, or None when it did not
    finish within `budget_s` (its queued reading is cancelled), could not have (a
    ReadingPool's queue is longer than the budget), or failed."""
    if isinstance(pool, ReadingPool) and pool.too_busy(budget_s):
        log.info("reader busy; answering without it")
        return None
    top = list(passages[:READ_K])
    units = [[u.text for u in answerer.units(p.chunk.text)] for p in top]
    future = pool.submit(reader.read, question, top, units)
    try:
        readings = future.result(timeout=budget_s)
    except concurrent.futures.TimeoutError:
        future.cancel()
        log.warning("reader missed its budget (%.2f s); answering without it", budget_s)
        return None
    except Exception:
        log.exception("reader failed; answering without it")
        return None
    return {p.chunk.id: r for p, r in zip(top, readings, strict=True)}


def margins(passages: Sequence[Passage], readings: Mapping[str, Reading]) -> list[list[float]]:
    """Per passage the answerer considers, the reader's margin of each unit (none for a
    passage it did not read)."""
    return [
        readings[p.chunk.id].units if p.chunk.id in readings else []
        for p in passages[: answerer.PASSAGES_CONSIDERED]
    ]


def answer_span(
    readings: Mapping[str, Reading], passages: Sequence[Passage], best: answerer.Candidate
) -> str | None:
    """The reader's answer span, when it lies in the sentence that answers."""
    found = readings.get(passages[best.passage_index].chunk.id)
    if found is None or found.span is None or found.unit_of_span() != best.sentence_index:
        return None
    a, b = found.span
    return found.text[a:b].strip() or None
