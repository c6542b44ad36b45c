"""Load test of the Teams webhook: concurrent signed calls against a running service.

    python scripts/bench_teams.py --url http://127.0.0.1:8000 --token <base64 token>

Default: 20 concurrent callers for 30 s, each posting a signed Teams message (shaped as
scripts/teams_send.py makes it) and waiting for the reply before the next. The questions are
the project's known facts (eval/known_facts.jsonl: answerable and unanswerable ones), in turn,
plus «hjelp». Counts as an
error: a transport failure, a status other than 200, or a reply without an Adaptive Card.
Prints the latency percentiles; exit 1 when p99 is over --max-p99 (1 s) or any call failed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from teams_send import encode, endpoint, key_from, sample_message

from api.teams import sign
from eval.questions import KNOWN_FACTS, load_questions

EXTRA = ("hjelp",)  # the usage card is part of the traffic too


def questions_from(path: Path) -> list[str]:
    """The questions of a question file (JSON Lines, as `lhl eval` reads), without history."""
    return [q.question for q in load_questions(path) if not q.history] + list(EXTRA)


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): the value at or below which q % of the calls lie."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats
    return ordered[int(rank) - 1]


async def caller(
    client: httpx.AsyncClient,
    url: str,
    bodies: list[tuple[bytes, str]],
    stop_at: float,
    offset: int,
    results: Results | None,
) -> None:
    i = offset
    while time.perf_counter() < stop_at:
        body, signature = bodies[i % len(bodies)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.post(
                url,
                content=body,
                headers={"Authorization": signature, "Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            if results is not None:
                results.error(type(exc).__name__)
            continue
        elapsed = time.perf_counter() - started
        if results is None:
            continue
        if response.status_code != 200:
            results.error(f"HTTP {response.status_code}")
        elif not response.json().get("attachments"):
            results.error("svar uten kort")
        else:
            results.latencies.append(elapsed)


async def run(args: argparse.Namespace) -> Results:
    key = key_from(args.token, args.team)
    bodies = []
    for question in questions_from(args.questions):
        body = encode(sample_message(question))
        bodies.append((body, sign(body, key)))
    url = endpoint(args.url, args.team)
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(timeout=args.timeout, limits=limits) as client:
        if args.warmup > 0:  # first calls load caches; not measured
            stop_at = time.perf_counter() + args.warmup
            await asyncio.gather(
                *(caller(client, url, bodies, stop_at, n, None) for n in range(args.concurrency))
            )
        results = Results()
        stop_at = time.perf_counter() + args.duration
        await asyncio.gather(
            *(caller(client, url, bodies, stop_at, n, results) for n in range(args.concurrency))
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Lasttest av Teams-webhooken.")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--team", help="teamnavnet (?team=)")
    parser.add_argument("--token", help="sikkerhetstokenet (base64); ellers fra LHL_TEAMS_TOKENS")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="sekunder som måles")
    parser.add_argument("--warmup", type=float, default=2.0, help="sekunder før målingen")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--max-p99", type=float, default=1.0, help="høyeste godkjente p99 (s)")
    parser.add_argument(
        "--questions",
        type=Path,
        default=KNOWN_FACTS,
        help="spørsmålsfil (JSONL), brukes i rekkefølge",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results = asyncio.run(run(args))
    wall = time.perf_counter() - started - args.warmup
    lat = results.latencies
    errors = sum(results.errors.values())
    print(f"Teams-webhook: {args.concurrency} samtidige i {args.duration:.0f} s mot {args.url}")
    print(f"kall: {len(lat) + errors}, feil: {errors}", end="")
    print(f" ({', '.join(f'{k}: {v}' for k, v in results.errors.items())})" if errors else "")
    if lat:
        ms = [x * 1000 for x in lat]
        print(f"gjennomstrømning: {len(lat) / wall:.1f} svar/s")
        print(
            f"latens ms: p50 {percentile(ms, 50):.0f}, p95 {percentile(ms, 95):.0f}, "
            f"p99 {percentile(ms, 99):.0f}, maks {max(ms):.0f}, snitt {statistics.fmean(ms):.0f}"
        )
    p99 = percentile(lat, 99) if lat else float("inf")
    ok = errors == 0 and p99 <= args.max_p99
    print("OK" if ok else f"IKKE OK: p99 over {args.max_p99:.2f} s eller feil underveis")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
