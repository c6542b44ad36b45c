"""An index switching between two corpora, for the kill-loop and the ingest-while-serving
checks: the two corpora (an old and a new one, with facts found on one side only), `lhl ingest`
of either in its own process with its stage log read as it runs, and the checks that an index
holds wholly one corpus or the other (scripts/kill_loop.py says what each check means)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import PENDING_FILE, run_ingest  # noqa: E402
from lhl.embeddings import make_embedder  # noqa: E402
from lhl.index_state import IndexState, read_state  # noqa: E402
from lhl.settings import Settings  # noqa: E402
from lhl.vectors import VectorStore  # noqa: E402

CORPUS = ROOT / "corpus"
HOLD_S = 60.0  # how long a held run waits for its kill

# `lhl ingest` (cli.main, as the installed command runs it) with its stage log on stderr, each
# line timed; argv[1] names a stage to hold at (empty: none).
HARNESS = textwrap.dedent(
    """
    import logging, sys, time
    sys.stderr.write("@stage started\\n"); sys.stderr.flush()
    hold = sys.argv[1]

    class Stages(logging.Handler):
        def emit(self, record):
            stage = record.getMessage().removeprefix("ingest stage: ")
            sys.stderr.write(f"@stage {stage}\\n")
            sys.stderr.flush()
            if hold and stage.startswith(hold):
                time.sleep(HOLD_S)

    log = logging.getLogger("lhl.ingest.stage")
    log.setLevel(logging.DEBUG)
    log.addHandler(Stages())
    log.propagate = False
    from cli.main import main
    sys.exit(main(sys.argv[2:]))
    """
).replace("HOLD_S", repr(HOLD_S))


# Facts that exist on one side only. (question, old answer, new answer); None: not found.
CHANGED_PERSON = ("Kari Lindholm", "Ola Sørmo")
REMOVED_WORD = "blåbærsyltetøy"
ADDED_WORD = "tyttebærsaft"
QUESTIONS = [
    "Hvem er prosjektleder for måltidsvennene i Nordbyen?",
    "Hva er kodeordet for frivilligsentralen i Østby?",
    "Hva er kodeordet for seniorsenteret i Vestby?",
]
OLD_MARKERS = (CHANGED_PERSON[0], REMOVED_WORD)
NEW_MARKERS = (CHANGED_PERSON[1], ADDED_WORD)


# --------------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------------


def _filler(topic: str, n: int) -> list[str]:
    return [
        f"## {topic} {i}\n\n{topic} nummer {i} samler eldre i grend {i} til felles middag "
        f"hver torsdag, og {i + 2} frivillige fra lag {i} lager maten sammen med kommunen."
        for i in range(n)
    ]


def _write_document(path: Path, title: str, lead: str, sections: list[str]) -> None:
    path.write_text("\n\n".join([f"# {title}", lead, *sections]) + "\n", encoding="utf-8")


def write_corpora(root: Path, added_paragraphs: int = 48) -> tuple[Path, Path]:
    """`root/old/corpus` and `root/new/corpus` (one folder name, so sources match)."""
    old, new = root / "old" / "corpus", root / "new" / "corpus"
    for corpus in (old, new):
        shutil.rmtree(corpus, ignore_errors=True)
        shutil.copytree(CORPUS, corpus)
    for corpus, person, year in ((old, CHANGED_PERSON[0], 2021), (new, CHANGED_PERSON[1], 2023)):
        lead = f"Prosjektleder for måltidsvennene i Nordbyen er {person}, som startet arbeidet"
        _write_document(
            corpus / "endret.md",
            "Måltidsvenner i Nordbyen",
            f"{lead} i {year}.",
            _filler("Måltidsgruppe", 6),
        )
    _write_document(
        old / "fjernet.md",
        "Frivilligsentralen i Østby",
        f"Kodeordet for frivilligsentralen i Østby er {REMOVED_WORD}.",
        _filler("Turgruppe", 12),
    )
    _write_document(
        new / "ny-rapport.md",
        "Seniorsenteret i Vestby",
        f"Kodeordet for seniorsenteret i Vestby er {ADDED_WORD}.",
        _filler("Måltidsvenn", added_paragraphs),
    )
    return old, new


def settings_for(
    index_dir: Path, corpus: Path, embedder: str = "hash", chroma_url: str | None = None
) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        index_dir=index_dir,
        corpus_dir=corpus,
        embeddings=embedder,
        chroma_url=chroma_url,
        llm_base_url=None,
        llm_model=None,
        teams_tokens=None,
        reader="off",
        embed_threads=1,
    )


def reference_state(root: Path, corpus: Path, embedder: str) -> IndexState:
    """The state a clean ingest of `corpus` leaves (the embedder is deterministic)."""
    settings = settings_for(root / f"ref-{corpus.parent.name}", corpus, embedder)
    run_ingest(settings, make_embedder(embedder), corpus)
    state = read_state(settings.index_dir)
    assert state is not None
    return state


# --------------------------------------------------------------------------------------------
# One run of `lhl ingest` in its own process
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    proc: subprocess.Popen[str]
    started: float
    stages: list[tuple[float, str]] = field(default_factory=list)  # (ms since start, stage)
    _reader: threading.Thread | None = None
    other: list[str] = field(default_factory=list)

    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000

    def last_stage(self) -> str:
        return self.stages[-1][1] if self.stages else "(ingen)"

    def wait_for(self, prefix: str, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(s.startswith(prefix) for _, s in self.stages):
                return True
            if self.proc.poll() is not None and self._reader and not self._reader.is_alive():
                return False
            time.sleep(0.001)
        return False

    def finish(self, timeout: float = 300.0) -> int:
        rc = self.proc.wait(timeout=timeout)
        if self._reader:
            self._reader.join(timeout=10)
        return rc


def start_ingest(
    corpus: Path, index_dir: Path, embedder: str, hold: str = "", chroma_url: str | None = None
) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LHL_")}
    env.update(
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
        LHL_EMBEDDINGS=embedder,
        LHL_READER="off",
    )
    if chroma_url:
        env["LHL_CHROMA_URL"] = chroma_url
    cmd = [sys.executable, "-c", HARNESS, hold, "ingest"]
    cmd += ["--corpus", str(corpus), "--index", str(index_dir), "--threads", "1"]
    proc = subprocess.Popen(
        cmd,
        cwd=index_dir.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    run = Run(proc, time.monotonic())

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("@stage "):
                run.stages.append((run.elapsed_ms(), line[7:].strip()))
            else:
                run.other.append(line.rstrip())

    run._reader = threading.Thread(target=read, daemon=True)
    run._reader.start()
    return run


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    result: str  # "gammel", "ny", "blanding", "ingen"
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and self.result in ("gammel", "ny")


def check_index(settings: Settings, old: IndexState, new: IndexState) -> Verdict:
    """State, vectors and answers: wholly old or wholly new. The state judged is the one the
    index opens with: the state file, or in server mode the state published to the server
    (which a service then copies to its state file)."""
    from assistant.service import Assistant

    embedder = make_embedder(settings.embeddings)
    assistant = Assistant(settings, embedder)
    try:
        assistant.load()
    except Exception as exc:
        return Verdict("ingen", [f"the index does not open: {exc!r}"])
    index = assistant.index
    state = index.state
    as_json = state.to_json()
    result = "gammel" if as_json == old.to_json() else "ny" if as_json == new.to_json() else None
    if result is None:
        docs = sorted(state.documents)
        return Verdict("blanding", [f"state is neither old nor new: documents {docs}"])
    failures: list[str] = []
    on_disk = read_state(settings.index_dir)
    if on_disk is None or on_disk.to_json() != as_json:
        failures.append("state: the state file is not the state served")
    live = sorted(state.live_ids)
    got = VectorStore(settings, embedder, fresh=True).store.get(ids=live, include=["embeddings"])
    vectors = dict(zip(got["ids"], got["embeddings"], strict=True))
    missing = [i for i in live if i not in vectors]
    if missing:
        failures.append(f"vectors: {len(missing)} live chunks have no vector")
    dims = {len(v) for v in vectors.values()}
    if dims and dims != {embedder.dimension or next(iter(dims))}:
        failures.append(f"vectors: dimensions {dims}")
    texts = []
    for question in QUESTIONS:
        answer = assistant.ask(question)
        texts.append(answer.answer)
        texts.extend(c.text for c in answer.citations)
        strays = [c.chunk_id for c in answer.citations if c.chunk_id not in state.live_ids]
        if strays:
            failures.append(f"answers: cites chunks not in the state: {strays}")
    said = "\n".join(texts)
    want, never = (OLD_MARKERS, NEW_MARKERS) if result == "gammel" else (NEW_MARKERS, OLD_MARKERS)
    failures += [f"answers: {m!r} not answered" for m in want if m not in said]
    failures += [f"answers: {m!r} from the other corpus" for m in never if m in said]
    return Verdict(result, failures)


def check_complete(settings: Settings, target: IndexState) -> list[str]:
    failures = []
    state = read_state(settings.index_dir)
    if state is None or state.to_json() != target.to_json():
        failures.append("complete: the state is not the target corpus's")
    store = VectorStore(settings, make_embedder(settings.embeddings), fresh=True)
    extra = set(store.all_ids()) - (state.live_ids if state else set())
    if extra:
        failures.append(f"complete: {len(extra)} vectors no chunk uses")
    if (settings.index_dir / PENDING_FILE).exists():
        failures.append("complete: the pending marker is still there")
    temps = list(settings.index_dir.glob(".state-*.tmp"))
    if temps:
        failures.append(f"complete: half-written state files left: {[p.name for p in temps]}")
    return failures
