"""Small helpers every part of the benchmark uses: latency summaries, ratios to the floor,
the load average, and progress lines for the person running it (Norwegian)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from eval.runner import percentile


def latency(values_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and count of latencies in milliseconds."""
    return {
        "n": len(values_ms),
        "p50": percentile(values_ms, 0.50),
        "p95": percentile(values_ms, 0.95),
        "p99": percentile(values_ms, 0.99),
    }


def ratio(value: float | None, floor: float | None) -> float | None:
    """`value` as a multiple of its floor (None when either is missing or the floor is 0)."""
    if value is None or not floor:
        return None
    return round(value / floor, 2)


def with_ratios(figures: dict[str, Any], floor: float | None) -> dict[str, Any]:
    """A latency summary plus each percentile as a ratio to `floor` (x_p50 …)."""
    out = dict(figures)
    for key in ("p50", "p95", "p99"):
        if key in figures:
            out[f"x_{key}"] = ratio(figures[key], floor)
    return out


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def num(value: float | None, digits: int = 1) -> str:
    """A figure as Norwegian text: decimal comma, "–" for none."""
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def say(message: str) -> None:
    """A progress line (to stdout, flushed: the run takes minutes)."""
    print(message, flush=True)
    sys.stdout.flush()
