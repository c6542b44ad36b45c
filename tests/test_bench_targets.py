"""bench/targets.py: issue 19's reader rows are judged by the instruction set the reader ran on
(65 ms / 90 % / 500 ms on AVX-512; 200 ms / 50 % / 1,200 ms and 90 % at 8 clients on AVX2),
and left out where no reader ran."""

from __future__ import annotations

from typing import Any

from bench.targets import reader_class, targets, targets_table


def _run(isa: str | None, read_ms: float, share32: float, p95_8: float, share8: float) -> dict:
    levels = [
        {"clients": 8, "p95": p95_8, "read_by_reader": share8, "errors": 0, "rps": 10.0},
        {"clients": 32, "p95": 2000.0, "read_by_reader": share32, "errors": 0, "rps": 10.0},
    ]
    read = {"p50": read_ms, "p95": read_ms * 1.3} if isa else None
    return {
        "meta": {"cpus": 2},
        "floor": {"reader_isa": isa, "steps": {"read": read}, "retrieval_ms": 20.0},
        "http": {"levels": levels},
    }


def _rows(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in targets(result)}


def test_reader_rows_on_avx512() -> None:
    rows = _rows(_run("AVX512-VNNI, int8", 64.0, 0.98, 478.0, 1.0))
    assert rows["reading_p50"]["limit"] == 65.0 and rows["reading_p50"]["passed"] is True
    assert rows["read_share_32"]["measured"] == 98.0 and rows["read_share_32"]["passed"] is True
    assert rows["p95_8_clients_reader"]["passed"] is True
    assert "read_share_8" not in rows  # no such row for AVX-512
    slow = _rows(_run("AVX512-BF16", 70.0, 0.85, 520.0, 1.0))
    assert [
        slow[k]["passed"] for k in ("reading_p50", "read_share_32", "p95_8_clients_reader")
    ] == [
        False,
        False,
        False,
    ]


def test_reader_rows_on_avx2_have_their_own_bounds() -> None:
    rows = _rows(_run("AVX2, fp32", 190.0, 0.55, 1100.0, 0.80))
    assert rows["reading_p50"]["limit"] == 200.0 and rows["reading_p50"]["passed"] is True
    assert rows["read_share_32"]["limit"] == 50.0 and rows["read_share_32"]["passed"] is True
    assert rows["p95_8_clients_reader"]["limit"] == 1200.0
    assert rows["read_share_8"]["measured"] == 80.0 and rows["read_share_8"]["passed"] is False
    assert "(AVX2)" in targets_table(_run("AVX2, fp32", 190.0, 0.55, 1100.0, 0.8))


def test_no_reader_no_reader_rows() -> None:
    assert reader_class(None) is None and reader_class("") is None
    assert not {"reading_p50", "read_share_32"} & _rows(_run(None, 0.0, 0.0, 0.0, 0.0)).keys()
