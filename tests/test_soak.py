"""scripts/soak.py works: a short soak (hash-embedder index, a few clients, a SIGKILL and a
restart midway) runs to its end and finds what the long one checks: no 5xx, no failed
connection outside the restart, no feedback lost, the same index after the restart. The
restart's 10 s bound is left to the real run (no timing here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from server_fixtures import ROOT, settings_env

from lhl.settings import Settings


def test_a_short_soak_with_a_kill_loses_nothing(hash_index: Settings, tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "scripts" / "soak.py"),
        *("--minutes", "0.2", "--clients", "4", "--kill-at", "5", "--every", "3"),
        *("--ready-within", "600", "--workdir", str(tmp_path / "soak")),
    ]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=settings_env(hash_index),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "SIGKILL" in out and "samme indeks: ja" in out
    assert re.search(r"RSS +\d+\.\d MB", out), out
    acked, rows = map(int, re.search(r"(\d+) besvart med 2xx, (\d+) rader", out).groups())  # type: ignore[union-attr]
    assert acked > 0 and rows >= acked
    assert "5xx: 0." in out


def test_the_memory_slope_is_fitted_over_the_settled_samples_only() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from soak import memory_slope

    # 100 MB in the first 10 minutes, then 0.5 MB per 10 minutes: the slope sees only the latter.
    series = [(t, 1000 + min(t, 600) / 6 + max(t - 600, 0) / 1200) for t in range(0, 3600, 30)]
    slope, span = memory_slope(series, settle_s=600) or (None, None)
    assert slope is not None and abs(slope - 0.5) < 1e-9
    assert span == 2970
    # Settled samples spanning under 10 minutes are no measurement.
    assert memory_slope(series[:30], settle_s=600) is None
    assert memory_slope([], settle_s=600) is None
