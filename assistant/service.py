"""The assistant: question → (follow-up completion) → retrieval → answer with citations.

Loaded once (index, embedder) and shared; `ask()` is safe to call from several threads.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence

from assistant import answerer, compose, decide, reading, rules
from assistant.extract import extract
from assistant.followup import resolve
from assistant.generation import Generated, OnText, fallback_grounding, generate, shown_grounding
from assistant.generative import GenerativeAnswerer, ModelUnavailable
from assistant.grounding import without_instructions
from assistant.questions import QuestionAnalysis, analyse
from assistant.reader import Reader, Reading
from assistant.retriever import Retriever
from lhl import messages
from lhl.embeddings import Embedder, make_embedder
from lhl.errors import IndexNotReady, InvalidQuestion
from lhl.records import Answer, Citation, Mode, Passage, Turn
from lhl.settings import Settings
from lhl.store import Index, LiveIndex

log = logging.getLogger(__name__)

RETRIEVE_K = 8
CITED_RELATED = 3


class Assistant:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        generative: GenerativeAnswerer | None = None,
        decision: decide.Decision | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embeddings, settings.embed_threads)
        self.generative = generative or (
            GenerativeAnswerer(settings) if settings.generative else None
        )
        self.reader: Reader | None = (
            Reader(
                settings.reader_dir,
                settings.reader_threads,
                settings.index_dir.parent / "cache",
                engine=settings.reader_engine,
            )
            if settings.reader_on
            else None
        )
        if self.reader is not None and not self.reader.available:
            log.warning("no reader model in %s; answering without it", self.reader.model_dir)
            self.reader = None
        # As many readings at once as there are cores for them (`reader_threads` intra-op
        # threads each, one by default): more would fight over the same cores. Under load,
        # questions wait their turn for the reader up to its budget, then get the lexical
        # answer (their reading is cancelled); at once when the queue is longer than that.
        self._reader_pool = reading.ReadingPool(settings.reader_pool_size)
        # Questions answered at once: the readers busy and as many retrieving beside them.
        self._slots = threading.BoundedSemaphore(2 * settings.reader_pool_size)
        self.decision = decision or decide.load(settings.decision_path)
        self._live: LiveIndex | None = None
        self.retriever = Retriever(self._current_index, settings.dense_weight)
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="gen")

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        """Open the index and warm the embedder, so the first question is fast."""
        self._live = LiveIndex(lambda: Index(self.settings, self.embedder))
        self.embedder.load()
        self.embedder.embed_query("oppvarming")
        if self.reader is not None:
            self.reader.load()  # a few seconds, at start-up, never in a request
        if self.generative is not None:
            self.generative.load()  # build the model client now, not inside a deadline

    @property
    def answerer_name(self) -> str:
        """How answers are picked, for reports: "leser (…)" or "leksikalske regler"."""
        if self.reader is None:
            return "leksikalske regler (LHL_READER=off eller ingen modell)"
        return f"leser ({self.reader.model_dir.name}) + leksikalske regler"

    @property
    def decision_settings(self) -> dict[str, object]:
        """The settings that chose and refused (assistant/rules.py) and when the verifier
        was fit, for reports."""
        return {
            "verifier_fitted": self.decision.meta.get("fitted"),
            "reader_weight": rules.READER_WEIGHTS.reader,
            "reader_null_margin": rules.READER_NULL_MARGIN,
            "rerank_rank_penalty": rules.RERANK_RANK_PENALTY,
            "min_coverage": rules.MIN_COVERAGE,
            "constrained_margin": rules.CONSTRAINED_MARGIN,
        }

    @property
    def ready(self) -> bool:
        return self._live is not None

    def _current_index(self) -> Index:
        """The index now; a finished ingest's new state is picked up in the background."""
        if self._live is None:
            raise IndexNotReady()
        return self._live.current()

    @property
    def index(self) -> Index:
        return self._current_index()

    # -- answering -----------------------------------------------------------------------
    def validate(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise InvalidQuestion(messages.EMPTY_QUESTION)
        if len(question) > self.settings.max_question_chars:
            raise InvalidQuestion(
                messages.QUESTION_TOO_LONG.format(limit=self.settings.max_question_chars)
            )
        return question

    def search(self, query: str, k: int = 5) -> list[Citation]:
        query = self.validate(query)
        passages, _ = self.retriever.retrieve(query, k=k)
        return [Citation.from_passage(i, p) for i, p in enumerate(passages, start=1)]

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        mode: Mode | None = None,
        deadline_s: float | None = None,
        on_text: OnText | None = None,
    ) -> Answer:
        """The answer, with its citations. In generative mode `on_text` (when given) gets
        the model's answer sentence by sentence as each arrives and passes the grounding
        check; the Answer returned is the final word (it may be the extractive fallback)."""
        started = time.perf_counter()
        question = self.validate(question)
        mode = mode or ("generative" if self.generative else "extractive")
        generative = mode == "generative" and self.generative is not None
        resolved = (
            self._rewrite_or(question, history, started, deadline_s)
            if generative and history
            else resolve(question, history)
        )
        with self._answering(started, deadline_s) as may_read:
            index = self.index  # one index for the whole answer, even if a reload swaps it
            q, passages, timings = self.gather(resolved, index)
            t_retrieved = time.perf_counter()
            readings = self._read(resolved, passages, started, deadline_s) if may_read else None
            passages = self.reading_order(index, q, passages, readings)
            t_read = time.perf_counter()
            answer = self._extractive(index, question, resolved, q, passages, readings)
        if generative and answer.found:
            answer = self._generative_or(answer, resolved, passages, started, deadline_s, on_text)
        done = time.perf_counter()
        answer.timings_ms = {
            "retrieve": round((t_retrieved - started) * 1000, 2),
            "read": round((t_read - t_retrieved) * 1000, 2),
            "answer": round((done - t_read) * 1000, 2),
            "total": round((done - started) * 1000, 2),
            **{k: round(v, 2) for k, v in timings.items()},
        }
        answer.answer_id = uuid.uuid4().hex
        return answer

    def gather(
        self, resolved: str, index: Index
    ) -> tuple[QuestionAnalysis, list[Passage], dict[str, float]]:
        """The question analysed and the passages the answer step reads: retrieved, cleared of
        instructions to a model, and with the section the question names among them."""
        passages, timings = self.retriever.retrieve(resolved, k=RETRIEVE_K, index=index)
        passages = without_instructions(passages)
        q = analyse(resolved)
        return q, answerer.with_named_section(index, q, passages), timings

    def reading_order(
        self,
        index: Index,
        q: QuestionAnalysis,
        passages: list[Passage],
        readings: dict[str, Reading] | None,
    ) -> list[Passage]:
        """The passages in the order the answer step reads them: the reader's, when it read."""
        if readings is None:
            return passages
        return answerer.with_named_section(index, q, rules.rerank(passages, readings))

    def _extractive(
        self,
        index: Index,
        question: str,
        resolved: str,
        q: QuestionAnalysis,
        passages: list[Passage],
        readings: dict[str, Reading] | None = None,
    ) -> Answer:
        found = extract(q, passages, index.lexical.idf, readings, self.decision)
        base = compose.AnswerBase(
            question=question,
            resolved_question=resolved if resolved != question else None,
            question_type=q.qtype,
            reader=readings is not None,
            confidence=round(found.confidence, 3),
        )
        if found.refusal is not None:
            # The question is a person's words: at debug level only.
            log.info("refusing a question (%s)", found.refusal)
            log.debug("refusing %r: %s (%.3f)", resolved, found.refusal, found.confidence)
            return compose.refusal(base, passages[:CITED_RELATED], found.ranked)
        return compose.answer(base, found.chosen, found.ranked[0], passages, found.span)

    @contextlib.contextmanager
    def _answering(self, started: float, deadline_s: float | None) -> Iterator[bool]:
        """A slot for the CPU-bound part of a question (retrieval, reading, the answer), so
        that at most a few questions share the cores at once: thirty embedding side by side
        would each take thirty times as long and starve the reader. A question that gets no
        slot within the reader's budget (or a quarter of its deadline) goes ahead without
        one and without the reader: it is answered at once, from the lexical features.
        Yields whether the question may be read."""
        wait = self.settings.reader_budget_s
        if deadline_s is not None:
            wait = min(wait, started + deadline_s / 4 - time.perf_counter())
        if not self._slots.acquire(timeout=max(wait, 0.0)):
            log.info("no answering slot within %.2f s; answering without the reader", wait)
            yield False
            return
        try:
            yield True
        finally:
            self._slots.release()

    def _read(
        self, question: str, passages: list[Passage], started: float, deadline_s: float | None
    ) -> dict[str, Reading] | None:
        """The reader's readings of the top passages by chunk id, or None: no reader, or it
        did not finish within its budget (and the caller's deadline: Teams waits 5 s), or it
        failed. Then the lexical answerer answers alone."""
        if self.reader is None or not passages:
            return None
        budget = self.settings.reader_budget_s
        if deadline_s is not None:
            budget = min(budget, started + deadline_s / 2 - time.perf_counter())
        if budget <= 0:
            return None
        return reading.read_within(self.reader, self._reader_pool, question, passages, budget)

    def _generative_or(
        self,
        fallback: Answer,
        question: str,
        passages: list[Passage],
        started: float,
        deadline_s: float | None,
        on_text: OnText | None = None,
    ) -> Answer:
        """The model's answer when it passes the grounding check (trimmed of unsupported
        sentences where the lead stands), else the extractive one, marked as the fallback.
        The deadline (Teams waits a few seconds) bounds the whole call."""
        assert self.generative is not None
        top = passages[:4]
        deadline = None if deadline_s is None else started + deadline_s
        future = self._pool.submit(self._generate_unless_late, deadline, question, top, on_text)
        remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
        try:
            result = future.result(timeout=remaining)
        except concurrent.futures.TimeoutError:
            # Nobody waits for it any more: drop it if it has not started, so a hanging
            # model cannot pile up queued calls behind the pool's few threads.
            future.cancel()
            log.warning("generative answer missed the deadline; using extractive")
            result = Generated("unavailable", error="deadline")
        except Exception:
            log.exception("generative answer failed; using extractive")
            result = Generated("unavailable", error="error")
        if result.report is not None and result.verdict != "grounded":
            log.warning("generative answer %s: %s", result.verdict, result.report.problems)
        if result.text is None:
            if result.verdict == "unavailable":
                log.warning("generative answer unavailable: %s", result.error)
            fallback.grounding = fallback_grounding(result)
            return fallback
        return Answer(
            question=fallback.question,
            answer=result.text,
            found=True,
            citations=[Citation.from_passage(n, top[o - 1]) for n, o in enumerate(result.cited, 1)],
            mode="generative",
            resolved_question=fallback.resolved_question,
            question_type=fallback.question_type,
            grounding=shown_grounding(result),
        )

    def _generate_unless_late(
        self,
        deadline: float | None,
        question: str,
        passages: list[Passage],
        on_text: OnText | None = None,
    ) -> Generated:
        """The checked answer, unless the deadline passed while the call waited for a thread."""
        assert self.generative is not None
        if deadline is not None and time.perf_counter() >= deadline:
            raise concurrent.futures.TimeoutError("deadline passed before the model was asked")
        return generate(self.generative, question, passages, deadline, on_text)

    def _rewrite_or(
        self, question: str, history: Sequence[Turn], started: float, deadline_s: float | None
    ) -> str:
        """A follow-up made standalone by the model; the extractive way when the model
        fails or is late (it gets a small part of the deadline, at most llm_rewrite_s)."""
        assert self.generative is not None
        budget = self.settings.llm_rewrite_s
        if deadline_s is not None:
            budget = min(budget, deadline_s / 3)
        try:
            return self.generative.rewrite(question, history, started + budget)
        except ModelUnavailable as exc:
            log.warning("follow-up rewrite failed; using the extractive way: %s", exc)
            return resolve(question, history)
