"""`lhl bench`: speed and scale, measured in one run, written to bench.json and bench.md.

    lhl bench --out reports/bench                 # everything (about 10 min on 2 cores)
    lhl bench --quick --out /tmp/b                # small N and T: proves it works (CI)
    lhl bench --only floor,inprocess,http         # some parts

Parts: floor (always, the others' yardstick), inprocess, http, ingest, growth, server (Chroma
server mode and two replicas). Targets are ratios to what this machine can do in the same
run, so figures from a busy machine stay comparable; bench.md says which are met.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import report
from bench.figures import load_average, num, say
from lhl.settings import Settings

if TYPE_CHECKING:
    from assistant.service import Assistant

PARTS = ("floor", "inprocess", "http", "ingest", "growth", "server")


def add_bench_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", type=Path, default=Path("reports/bench"), help="mappe for bench.json og bench.md"
    )
    p.add_argument("--quick", action="store_true", help="kort kjøring med små tall (for CI)")
    p.add_argument("--only", help=f"bare disse delene, kommaseparert: {','.join(PARTS)}")
    p.add_argument("--index", help="indeksmappen (standard: .lhl/index)")
    p.add_argument(
        "--norquad", type=Path, help="NorQuAD-mappen (standard: ../shared/benchmarks/norquad)"
    )
    p.add_argument("--questions", type=int, help="spørsmål i prosess (standard 300, --quick 20)")
    p.add_argument(
        "--seconds", type=float, help="sekunder per lastnivå over HTTP (standard 20, --quick 2)"
    )
    p.add_argument(
        "--sizes", help="størrelser for vekst, kommaseparert (standard 1000,10000,100000)"
    )
    p.add_argument(
        "--copies", type=int, help="kopier av korpuset ved innlesing (standard 20, --quick 2)"
    )
    p.add_argument(
        "--threads", type=int, help="tråder for embedding ved innlesing (standard: som lhl ingest)"
    )


def _parts(only: str | None) -> list[str]:
    if not only:
        return list(PARTS)
    wanted = [p.strip() for p in only.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PARTS]
    if unknown:
        raise SystemExit(f"Ukjent del: {', '.join(unknown)}. Velg blant {', '.join(PARTS)}.")
    return ["floor", *[p for p in PARTS if p in wanted and p != "floor"]]


@dataclass(frozen=True)
class Plan:
    """What one run measures, from the arguments and their --quick defaults."""

    parts: list[str]
    quick: bool
    n_questions: int
    seconds: float
    sizes: list[int]
    copies: int
    threads: int
    norquad: Path


def _plan(args: argparse.Namespace) -> Plan:
    from bench import inprocess
    from ingest.pipeline import default_ingest_threads

    quick = args.quick
    return Plan(
        parts=_parts(args.only),
        quick=quick,
        n_questions=args.questions or (20 if quick else 300),
        seconds=args.seconds or (2.0 if quick else 20.0),
        sizes=(
            [int(s) for s in args.sizes.split(",")]
            if args.sizes
            else ([500, 2000] if quick else [1000, 10_000, 100_000])
        ),
        copies=args.copies or (2 if quick else 20),
        threads=args.threads or default_ingest_threads(),
        norquad=args.norquad or inprocess.NORQUAD_DIR,
    )


def _meta(settings: Settings, plan: Plan) -> dict[str, Any]:
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": plan.quick,
        "parts": plan.parts,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "load_before": load_average(),
        "embeddings": settings.embeddings,
        "reader": settings.reader,
        "embed_threads": settings.embed_threads,
        "reader_threads": settings.reader_threads,
        "reader_workers": settings.reader_pool_size,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "nice": os.nice(0),
    }


def run_bench_command(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.service import Assistant
    from bench import inprocess

    plan = _plan(args)
    result: dict[str, Any] = {"format": report.FORMAT, "meta": _meta(settings, plan)}
    started = time.monotonic()
    say(
        f"Måler fart og skala ({', '.join(plan.parts)}); {os.cpu_count()} kjerner, belastning {load_average()}."
    )
    pool, sources = inprocess.question_pool(plan.norquad)
    assistant = Assistant(settings)
    assistant.load()
    if assistant.reader is not None:
        # Which engine reads, on which instruction set (ATEN_CPU_CAPABILITY and
        # ONEDNN_MAX_CPU_ISA cap PyTorch's; ONNX Runtime picks its own by CPUID).
        result["meta"]["reader_engine"] = assistant.reader.engine
        result["meta"]["reader_isa"] = assistant.reader.instruction_set
        say(
            f"Leseren: {assistant.reader.engine} på {assistant.reader.instruction_set}"
            + (f" ({assistant.reader.engine_note})" if assistant.reader.engine_note else "")
        )
    floor_questions = pool[-(10 if plan.quick else 100) :]  # not among the questions asked below
    say("Gulvet (ett steg om gangen):")
    floor = result["floor"] = inprocess.measure_floor(assistant, floor_questions)
    for key, step in floor["steps"].items():
        if step:
            engine = f" ({floor['reader_engine']}, {floor['reader_isa']})" if key == "read" else ""
            say(f"  {key}: p50 {num(step['p50'], 2)} ms, p95 {num(step['p95'], 2)} ms{engine}")
    with tempfile.TemporaryDirectory(prefix="lhl-bench-") as tmp:
        result.update(_measure_parts(plan, settings, assistant, pool, sources, floor, Path(tmp)))
    result["meta"]["load_after"] = load_average()
    result["meta"]["seconds"] = round(time.monotonic() - started, 1)
    report.write(result, args.out)
    say("")
    say(report.targets_table(result))
    say(
        f"\nSkrev {args.out / 'bench.json'} og {args.out / 'bench.md'} ({num(result['meta']['seconds'], 0)} s)."
    )
    return 0


def _measure_parts(
    plan: Plan,
    settings: Settings,
    assistant: Assistant,
    pool: list[str],
    sources: dict[str, int],
    floor: dict[str, Any],
    work: Path,
) -> dict[str, Any]:
    """The parts after the floor, each measured against it: part → its figures."""
    from bench import growth, http_load, ingest, inprocess, replicas

    out: dict[str, Any] = {}
    parts, quick, asked = plan.parts, plan.quick, pool[: plan.n_questions]
    if "inprocess" in parts:
        say(f"I prosess: {len(asked)} ulike spørsmål …")
        figures = inprocess.measure_asks(assistant, asked, floor)
        figures["sources"] = sources
        out["inprocess"] = figures
        t = figures["total"]
        say(
            f"  p50 {num(t['p50'])} ms, p95 {num(t['p95'])} ms, p99 {num(t['p99'])} ms "
            f"({num(t['x_p50'])}× gulvet); gjenfinning p50 {num(figures['retrieve']['p50'], 2)} ms "
            f"({num(figures['retrieve']['x_p50'])}× gulvet); CPU {num(figures['cpu_ms_per_question'])} ms per spørsmål"
        )
    if "http" in parts:
        say("Over HTTP (lhl serve, uten grense for forespørsler):")
        levels = [1, 8, 32]
        out["http"] = http_load.measure_http(
            settings, work / "http", pool, levels, plan.seconds, floor["ask_ms"]
        )
    if "ingest" in parts:
        say("Innlesing:")
        out["ingest"] = ingest.measure_ingest(
            settings, work / "ingest", plan.threads, plan.copies, 64 if quick else 320
        )
    if "growth" in parts:
        say(f"Vekst ({', '.join(map(str, plan.sizes))} avsnitt, hver størrelse i egen prosess):")
        out["growth"] = growth.measure_growth(
            assistant, settings, work / "growth", plan.sizes, asked, floor
        )
    if "server" in parts:
        say("Chroma som tjener:")
        out["chroma_server"] = replicas.measure_replicas(
            settings,
            assistant.embedder,
            work / "server",
            asked,
            floor["steps"]["chroma"]["p50"],
            plan.threads,
        )
    return out
