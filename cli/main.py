"""The `lhl` command: ingest, ask, serve, eval, bench. User-facing text in Norwegian."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from lhl import messages
from lhl.errors import LhlError
from lhl.settings import Settings, get_settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    updates = {}
    if getattr(args, "index", None):
        updates["index_dir"] = Path(args.index)
    if getattr(args, "corpus", None):
        updates["corpus_dir"] = Path(args.corpus)
    return settings.model_copy(update=updates) if updates else settings


class IngestProgressLine:
    """`lhl ingest` on a terminal: one line that says how far it has come (files read,
    passages embedded, embeddings per second, time left). Silent when stderr is not a
    terminal, so logs and CI stay clean."""

    WIDTH = 24

    def __init__(self) -> None:
        self.started: float | None = None  # when the first batch was embedded
        self.first_done = 0
        self.shown = False

    def __call__(self, p: object) -> None:
        import time

        from ingest.pipeline import IngestProgress

        assert isinstance(p, IngestProgress)
        if not sys.stderr.isatty():
            return
        if p.stage == "reading":
            line = messages.terminal.PROGRESS_READING.format(done=p.files_done, total=p.files_total)
        else:
            now = time.monotonic()
            if self.started is None:
                self.started, self.first_done = now, p.chunks_done
            filled = int(self.WIDTH * p.chunks_done / max(p.chunks_total, 1))
            line = messages.terminal.PROGRESS_EMBEDDING.format(
                files_done=p.files_done,
                files_total=p.files_total,
                documents_done=p.documents_done,
                documents_total=p.documents_total,
                bar="#" * filled + "." * (self.WIDTH - filled),
                chunks_done=p.chunks_done,
                chunks_total=p.chunks_total,
            )
            elapsed = now - self.started
            rate = (p.chunks_done - self.first_done) / elapsed if elapsed > 0 else 0.0
            if rate > 0:
                left = (p.chunks_total - p.chunks_done) / rate
                per_second = f"{rate:.1f}".replace(".", ",")
                line += messages.terminal.PROGRESS_RATE.format(per_second=per_second, left=left)
        sys.stderr.write("\r\x1b[2K" + line)
        self.shown = True
        if p.stage == "embedding" and p.chunks_done >= p.chunks_total:
            sys.stderr.write("\n")
            self.shown = False
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown and sys.stderr.isatty():
            sys.stderr.write("\n")
            sys.stderr.flush()


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import default_ingest_threads, run_ingest
    from lhl.embeddings import make_embedder

    settings = _settings(args)
    threads = args.threads or default_ingest_threads()
    embedder = make_embedder(settings.embeddings, threads=threads)
    progress = IngestProgressLine()
    try:
        report = run_ingest(settings, embedder, settings.corpus_dir, on_progress=progress)
    finally:
        progress.close()
    print(report.summary())
    return 0


def print_answer(answer: object) -> None:
    from lhl.records import Answer

    assert isinstance(answer, Answer)
    print(answer.answer)
    if answer.grounding is not None and answer.grounding.note:
        print(f"({answer.grounding.note})")
    if answer.citations:
        print()
        print(messages.terminal.SOURCES if answer.found else messages.terminal.RELATED)
        for c in answer.citations:
            where = c.section + (messages.terminal.PAGE.format(page=c.page) if c.page else "")
            print(f"  [{c.n}] {c.title} – {where} ({c.source})")


def _load_assistant(settings: Settings) -> object:
    from assistant.service import Assistant

    assistant = Assistant(settings)
    assistant.load()
    return assistant


def cmd_ask(args: argparse.Namespace) -> int:
    settings = _settings(args)
    assistant = _load_assistant(settings)
    answer = assistant.ask(args.question)  # type: ignore[attr-defined]
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(answer)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Questions typed in the terminal, with the conversation as history."""
    from lhl.records import Turn

    settings = _settings(args)
    assistant = _load_assistant(settings)
    history: list[Turn] = []
    print(messages.terminal.CHAT_INTRO)
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = assistant.ask(question, history)  # type: ignore[attr-defined]
        except LhlError as exc:
            print(exc.message)
            continue
        print_answer(answer)
        history += [Turn("user", question), Turn("assistant", answer.answer)]
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve

    settings = _settings(args)
    return serve(settings, host=args.host, port=args.port)


def cmd_eval(args: argparse.Namespace) -> int:
    from eval.cli import run_eval_command

    return run_eval_command(args, _settings(args))


def cmd_bench(args: argparse.Namespace) -> int:
    from bench.run import run_bench_command

    return run_bench_command(args, _settings(args))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lhl", description="Leve hele livet-assistenten")
    parser.add_argument("-v", "--verbose", action="store_true", help="vis logg")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="les inn dokumentene i corpus/ og bygg indeksen")
    p.add_argument("--corpus", help="dokumentmappen (standard: corpus/)")
    p.add_argument("--index", help="indeksmappen (standard: .lhl/index)")
    p.add_argument("--threads", type=int, help="tråder for embedding-modellen")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="still ett spørsmål")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="skriv svaret som JSON")
    p.add_argument("--index")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="still spørsmål i terminalen")
    p.add_argument("--index")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="start nettjenesten")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--index")
    p.add_argument("--corpus")
    p.set_defaults(func=cmd_serve)

    from cli.feedback import add_feedback_arguments

    p = sub.add_parser(
        "feedback", help="tilbakemeldinger fra nettchatten (eksport til lhl eval, sletting)"
    )
    add_feedback_arguments(p)

    from eval.cli import add_eval_arguments

    p = sub.add_parser("eval", help="kjør spørsmålsfiler og skriv rapport")
    add_eval_arguments(p)
    p.set_defaults(func=cmd_eval)

    from bench.run import add_bench_arguments

    p = sub.add_parser("bench", help="mål fart, minne og skala; skriver bench.json og bench.md")
    add_bench_arguments(p)
    p.set_defaults(func=cmd_bench)
    return parser


def _two_malloc_arenas() -> None:
    """glibc gives threads that allocate at once heaps of their own (up to eight per core), and
    memory freed in one is not reused by another: with the server's threads and the readers',
    `lhl serve` under 32 clients peaked at 1691 MB, with two heaps 1572-1613 MB (answers/s the
    same).
    Set before any thread starts; MALLOC_ARENA_MAX in the environment still wins."""
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def main(argv: list[str] | None = None) -> int:
    _two_malloc_arenas()
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Idle OpenMP threads (the embedder's, torch's) sleep instead of spinning: spinning ones
    # take the cores from the questions being answered beside them. Read when the runtimes load.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except LhlError as exc:
        logging.getLogger("lhl").info("error: %s", exc.detail)
        print(messages.terminal.ERROR.format(message=exc.message), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(messages.terminal.INTERRUPTED, file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
