"""Running ingest in the ingest tests: in process (the hash embedder), as the `lhl ingest`
command, or in a child process slowed down and printing its progress (to kill it halfway); and
reading back what a run left in the index."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from ingest.pipeline import IngestReport, run_ingest
from lhl.embeddings import HashEmbedder
from lhl.index_state import read_state
from lhl.settings import Settings
from lhl.store import Index
from lhl.vectors import VectorStore

PRIZE_SOURCE = "corpus/arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter.txt"


# Runs one ingest in its own process with a slow embedder, printing progress as it goes.
SLOW_INGEST = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ingest.pipeline import run_ingest
    from lhl.embeddings import make_embedder
    from lhl.settings import Settings

    settings = Settings(_env_file=None, index_dir=Path(sys.argv[1]), embeddings=sys.argv[3],
                        chroma_url=None)
    def progress(done, total):
        print(f"progress {done}/{total}", flush=True)
    report = run_ingest(settings, make_embedder(settings.embeddings), Path(sys.argv[2]), progress)
    print("done", report.embedded, flush=True)
    """
)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LHL_")}
    env.update(ANONYMIZED_TELEMETRY="False", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), **extra)
    return env


def lhl_ingest(corpus: Path, index_dir: Path) -> list[str]:
    """The installed `lhl ingest` command line for this corpus and index."""
    return [
        str(ROOT / ".venv" / "bin" / "lhl"),
        "ingest",
        "--corpus",
        str(corpus),
        "--index",
        str(index_dir),
    ]


def start_slow_ingest(settings: Settings, corpus: Path, delay: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_INGEST,
            str(settings.index_dir),
            str(corpus),
            f"hash:delay={delay}",
        ],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen[str], prefix: str, timeout: float = 60) -> str:
    """The first stdout line starting with `prefix`; fails if the process ends first."""
    found: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(prefix):
                found.append(line.strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not found:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"no {prefix!r} line from the ingest process; stderr:\n{err[-3000:]}")
    return found[0]


def new_document(paragraphs: int = 48) -> str:
    """A document of many distinct paragraphs: many chunks to embed."""
    parts = ["# Ny rapport om måltidsvenner\n"]
    for i in range(paragraphs):
        parts.append(
            f"## Tiltak {i}\n\nMåltidsvenn nummer {i} besøker eldre i bydel {i} med middag "
            f"hver onsdag, og frivillige fra lag {i} kjører maten ut til {i + 3} hjem i området."
        )
    return "\n\n".join(parts) + "\n"


def ingest(settings: Settings, corpus: Path, embedder: HashEmbedder | None = None) -> IngestReport:
    return run_ingest(settings, embedder or HashEmbedder(), corpus)


def chroma_ids(settings: Settings) -> set[str]:
    return set(VectorStore(settings, HashEmbedder()).all_ids())


def live_ids(settings: Settings) -> set[str]:
    state = read_state(settings.index_dir)
    assert state is not None
    return state.live_ids


def search_sources(settings: Settings, query: str, k: int = 3) -> list[str]:
    index = Index(settings, HashEmbedder())
    return [c.source for c, _ in index.dense_search(query, k)]
