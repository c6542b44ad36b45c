"""The issue's targets for `lhl bench` (ratios to what the machine does in the same run),
checked against a run's figures, and the table of them that bench.md and the README's speed
table show (`targets_table()`, read by scripts/readme_figures.py)."""

from __future__ import annotations

from typing import Any

from bench.figures import num


def lookup(data: dict[str, Any], *path: str | int) -> Any:
    for key in path:
        if data is None:
            return None
        try:
            data = data[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _level(result: dict[str, Any], clients: int) -> dict[str, Any] | None:
    levels = lookup(result, "http", "levels") or []
    return next((lv for lv in levels if lv["clients"] == clients), None)


def _target(
    key: str, text: str, measured: float | None, limit: float | None, at_most: bool, unit: str
) -> dict[str, Any]:
    passed = None
    if measured is not None and limit is not None:
        passed = measured <= limit if at_most else measured >= limit
    return {
        "id": key,
        "text": text,
        "measured": measured,
        "limit": round(limit, 2) if limit is not None else None,
        "at_most": at_most,
        "unit": unit,
        "passed": passed,
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, checked against this run's figures (None where a part was not run)."""
    return [
        *_speed_targets(result),
        *_reader_targets(result),
        _memory_target(result),
        *_ingest_targets(result),
        *_growth_targets(result),
        *_replica_targets(result),
    ]


def _speed_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Retrieval against its floor, and answers over HTTP against the CPU one answer costs."""
    cores = lookup(result, "meta", "cpus") or 1
    out = []
    floor = lookup(result, "floor", "retrieval_ms")
    out.append(
        _target(
            "retrieval_p50",
            "Gjenfinning i prosess, p50 ≤ 2 × gulvet",
            lookup(result, "inprocess", "retrieve", "p50"),
            2 * floor if floor else None,
            True,
            "ms",
        )
    )
    cpu = lookup(result, "inprocess", "cpu_ms_per_question")
    l32, l8 = _level(result, 32), _level(result, 8)
    out.append(
        _target(
            "saturation_rps",
            f"32 klienter: svar/s ≥ 85 % av kjerner × 1000 / CPU-ms per spørsmål ({cores} kjerner)",
            l32["rps"] if l32 else None,
            0.85 * cores * 1000 / cpu if cpu else None,
            False,
            "svar/s",
        )
    )
    out.append(
        _target(
            "saturation_errors",
            "32 klienter: ingen feil",
            l32["errors"] if l32 else None,
            0,
            True,
            "feil",
        )
    )
    p95 = lookup(result, "inprocess", "total", "p95")
    out.append(
        _target(
            "p95_8_clients",
            "8 klienter: p95 ≤ 1,5 × (8 / kjerner) × p95 i prosess",
            l8["p95"] if l8 else None,
            1.5 * (8 / cores) * p95 if p95 else None,
            True,
            "ms",
        )
    )
    return out


# Issue 19's bounds for the reader, by the instruction set it read on: (one reading p50 ms,
# share read at 32 clients, 8 clients p95 ms, share read at 8 clients or None).
READER_BOUNDS = {
    "AVX512": (65.0, 0.90, 500.0, None),
    "AVX2": (200.0, 0.50, 1200.0, 0.90),
}


def reader_class(isa: str | None) -> str | None:
    """Which of issue 19's rows a run answers to: "AVX512" where the reader ran on AVX-512
    (bf16 in PyTorch, VNNI in ONNX Runtime), "AVX2" where it ran on AVX2 only."""
    if not isa:
        return None
    return "AVX512" if "AVX512" in isa.upper() else "AVX2"


def _reader_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The reader's own cost and how many answers under load it reads."""
    kind = reader_class(lookup(result, "floor", "reader_isa"))
    if kind is None:
        return []
    reading, read_32, p95_8, read_8 = READER_BOUNDS[kind]
    l32, l8 = _level(result, 32), _level(result, 8)

    def share(level: dict[str, Any] | None) -> float | None:
        value = level.get("read_by_reader") if level else None
        return round(100 * value, 1) if value is not None else None

    out = [
        _target(
            "reading_p50",
            f"Én lesing (5 avsnitt, 1 tråd), p50 ({kind})",
            lookup(result, "floor", "steps", "read", "p50"),
            reading,
            True,
            "ms",
        ),
        _target(
            "read_share_32",
            f"32 klienter: andel lest av leseren ({kind})",
            share(l32),
            100 * read_32,
            False,
            "%",
        ),
        _target(
            "p95_8_clients_reader",
            f"8 klienter: p95 ({kind})",
            l8["p95"] if l8 else None,
            p95_8,
            True,
            "ms",
        ),
    ]
    if read_8 is not None:
        out.append(
            _target(
                "read_share_8",
                f"8 klienter: andel lest av leseren ({kind})",
                share(l8),
                100 * read_8,
                False,
                "%",
            )
        )
    return out


def _memory_target(result: dict[str, Any]) -> dict[str, Any]:
    reader = lookup(result, "http", "settings", "reader") == "on"
    return _target(
        "server_memory",
        "Tjenestens minne ≤ 1,5 GB"
        + (" med leseren lastet" if reader else " (uten leser i denne kjøringen)"),
        lookup(result, "http", "peak_rss_mb"),
        1536.0,
        True,
        "MB",
    )


def _ingest_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    raw = lookup(result, "ingest", "raw", "per_s")
    copies = lookup(result, "ingest", "scaled", "copies") or 20
    return [
        _target(
            "ingest_throughput",
            f"Innlesing ({copies}× korpus) ≥ 0,8 × embedderens rå fart",
            lookup(result, "ingest", "scaled", "per_s"),
            0.8 * raw if raw else None,
            False,
            "avsnitt/s",
        ),
        _target(
            "ingest_nochange",
            "Uendret korpus lest inn på nytt ≤ 3 s",
            lookup(result, "ingest", "nochange", "seconds"),
            3.0,
            True,
            "s",
        ),
    ]


def _growth_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    sizes = lookup(result, "growth", "sizes") or []
    span = f"{sizes[-1]['passages']} mot {sizes[0]['passages']} avsnitt" if len(sizes) > 1 else ""
    return [
        _target(
            f"growth_{kind}",
            f"Vekst, {label}: p95 ved {span or 'største'} ≤ 3 × (forholdstall)",
            lookup(result, "growth", f"{kind}_p95_growth"),
            3.0,
            True,
            "×",
        )
        for kind, label in (("lexical", "leksikalsk"), ("dense", "tett"))
    ]


def _replica_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    answered = lookup(result, "chroma_server", "answered")
    visible = lookup(result, "chroma_server", "visible_s")
    return [
        _target(
            "replicas_answer",
            "To tjenester mot samme Chroma-tjener svarer begge",
            sum(bool(a["found"]) for a in answered) if answered else None,
            len(answered) if answered else None,
            False,
            "svarer",
        ),
        _target(
            "replicas_visible",
            "Ny innlesing synlig i begge innen 10 s",
            max(v if v is not None else float("inf") for v in visible) if visible else None,
            10.0,
            True,
            "s",
        ),
    ]


def _verdict(t: dict[str, Any]) -> str:
    return {True: "ja", False: "**nei**", None: "ikke målt"}[t["passed"]]


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "ikke synlig"
    digits = 0 if unit in {"feil", "svarer", "%"} or abs(value) >= 100 else 2
    return f"{num(value, digits)} {unit}"


def targets_table(result: dict[str, Any]) -> str:
    lines = ["| Mål | Krav | Målt | Oppfylt |", "|---|---:|---:|---|"]
    for t in result.get("targets") or targets(result):
        sign = "≤" if t["at_most"] else "≥"
        limit = f"{sign} {_figure(t['limit'], t['unit'])}" if t["limit"] is not None else "–"
        lines.append(
            f"| {t['text']} | {limit} | {_figure(t['measured'], t['unit'])} | {_verdict(t)} |"
        )
    meta = result.get("meta", {})
    lines += [
        "",
        f"Målt {str(meta.get('created', ''))[:16].replace('T', ' ')} med `lhl bench"
        f"{' --quick' if meta.get('quick') else ''}` på {meta.get('cpus')} kjerner, "
        f"belastning (1 min) {num(lookup(meta, 'load_before', 0), 2)} før og "
        f"{num(lookup(meta, 'load_after', 0), 2)} etter; {meta.get('embeddings')}, leser {meta.get('reader')}"
        + (
            f" ({meta['reader_engine']} på {meta.get('reader_isa')})."
            if meta.get("reader_engine")
            else "."
        ),
    ]
    return "\n".join(lines)
