"""`lhl eval`: arguments and the commands.

lhl eval [--questions FILE ...] [--index DIR | --url URL] [--mode M] [--out DIR]
lhl eval --norquad DIR [--split test|validation] [--limit N]
lhl eval diff OLD NEW [--tolerance X] [--latency-tolerance R]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from eval.labels import HEADLINE_FIGURES, LABELS, ON_UNANSWERABLE, format_figure
from eval.questions import KNOWN_FACTS, load_question_files
from eval.records import EvalReport, Result
from eval.report import build_report, write_reports
from eval.runner import InProcessTarget, Target, run
from lhl.errors import LhlError
from lhl.records import Mode
from lhl.settings import Settings

DEFAULT_OUT = Path("reports")


class EvalUsageError(LhlError):
    code = "ugyldig_bruk"
    status = 400


def add_eval_arguments(p: argparse.ArgumentParser) -> None:
    """`lhl eval`'s options: one argparse table (`lhl eval diff`'s: add_diff_arguments)."""
    p.description = (
        "Kjører spørsmålsfiler gjennom assistenten og skriver report.json, report.md og "
        "report.html. «lhl eval diff GAMMEL NY» sammenligner to rapporter."
    )
    p.add_argument(
        "--questions",
        nargs="+",
        type=Path,
        metavar="FIL",
        help="spørsmålsfiler (JSON Lines); standard: prosjektets kjente fakta",
    )
    target = p.add_mutually_exclusive_group()
    target.add_argument("--index", help="indeksmappen (kjøring i prosess)")
    target.add_argument(
        "--url", help="kjør mot en tjeneste over HTTP, f.eks. http://127.0.0.1:8000"
    )
    p.add_argument(
        "--out",
        type=Path,
        metavar="MAPPE",
        help="mappe for rapportene (standard: reports/known-facts, reports/latest "
        "for egne filer, reports/norquad-DEL for NorQuAD)",
    )
    p.add_argument(
        "--min-accuracy",
        type=float,
        metavar="X",
        help="avslutt med 1 når svarnøyaktigheten er lavere enn X (0–1)",
    )
    p.add_argument(
        "--mode",
        choices=["extractive", "generative"],
        help="ekstraktive svar, eller svar fra språkmodellen der den er satt opp",
    )
    p.add_argument(
        "--reader",
        choices=["on", "off"],
        help="med leseren (standard, som LHL_READER) eller bare de leksikalske reglene",
    )
    p.add_argument(
        "--norquad",
        type=Path,
        metavar="MAPPE",
        help="kjør referansetesten NorQuAD fra MAPPE (passages.jsonl, questions.jsonl)",
    )
    p.add_argument(
        "--split",
        choices=["test", "validation"],
        default="test",
        help="hvilken del av NorQuAD (standard: test)",
    )
    p.add_argument("--limit", type=int, metavar="N", help="bare de N første spørsmålene")
    sub = p.add_subparsers(dest="eval_action", title="handlinger", metavar="{diff}")
    add_diff_arguments(
        sub.add_parser(
            "diff",
            help="sammenlign to rapporter",
            description=(
                "Viser spørsmål som gikk fra bestått til ikke bestått og tilbake, og endringen i "
                "hvert mål. Avslutter med 1 når et mål ble verre enn toleransen."
            ),
        )
    )


def add_diff_arguments(d: argparse.ArgumentParser) -> None:
    d.add_argument("old", type=Path, metavar="GAMMEL", help="den gamle report.json (eller mappen)")
    d.add_argument("new", type=Path, metavar="NY", help="den nye report.json (eller mappen)")
    d.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        metavar="X",
        help="hvor mye nøyaktighet, kildetreff og riktig avvisning kan falle uten at "
        "det regnes som verre, som andel (0.02 = 2 prosentpoeng; standard 0)",
    )
    d.add_argument(
        "--latency-tolerance",
        type=float,
        metavar="R",
        help="regn svartid som verre når p50 eller p95 øker med mer enn R "
        "(0.5 = 50 %%); standard: svartid vises, men teller ikke",
    )
    d.add_argument(
        "--diff-out", type=Path, metavar="FIL", help="skriv sammenligningen også til FIL"
    )


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "reader", None):
        settings = settings.model_copy(update={"reader": args.reader})
    if getattr(args, "eval_action", None) == "diff":
        return run_diff_command(args)
    if args.limit is not None and args.limit < 1:
        raise EvalUsageError("--limit må være et positivt tall.")
    if args.norquad is not None:
        return run_norquad_command(args, settings)
    files = args.questions or [KNOWN_FACTS]
    questions = load_question_files(files)
    if args.limit:
        questions = questions[: args.limit]
    meta: dict[str, object] = {
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "files": ", ".join(str(f) for f in files),
        "mode": args.mode or "tjenestens standard",
    }
    progress = _progress(len(questions))
    if args.url:
        from eval.remote import HttpTarget

        meta["target"] = args.url
        with HttpTarget(args.url, args.mode) as http:
            ready = http.wait_ready()
            meta.update({k: ready[k] for k in ("embedder", "documents", "chunks") if k in ready})
            check_service_mode(args.mode, ready.get("mode"), args.url)
            if ready.get("mode") and not args.mode:
                meta["mode"] = ready["mode"]
            results = run(http, questions, progress)
    else:
        target, info = in_process_target(settings, args.mode)
        meta.update(info)
        results = run(target, questions, progress)
    meta["answer_modes"] = _answer_modes(results)
    if any(r.grounding for r in results):
        meta["grounding"] = _grounding_verdicts(results)
    report = build_report(results, meta)
    default = "latest" if args.questions else "known-facts"
    return finish(report, args.out or DEFAULT_OUT / default, args.min_accuracy)


def check_service_mode(wanted: str | None, service: str | None, url: str) -> None:
    """The service chooses its own mode; say so when it cannot give the one asked for."""
    if not wanted or not service or wanted == service:
        return
    if wanted == "generative":
        raise EvalUsageError(
            f"Tjenesten på {url} har ingen språkmodell (den svarer ekstraktivt), "
            "så --mode generative kan ikke måles der."
        )
    print(
        f"Merk: tjenesten på {url} svarer med språkmodell og kan se bort fra --mode {wanted}; "
        "rapporten viser hvilken modus hvert svar faktisk hadde.",
        file=sys.stderr,
    )


def in_process_target(settings: Settings, mode: Mode | None) -> tuple[Target, dict[str, object]]:
    from assistant.service import Assistant

    if mode == "generative" and not settings.generative:
        raise EvalUsageError(
            "Generativ modus krever en språkmodell: sett LHL_LLM_BASE_URL og LHL_LLM_MODEL "
            "(eller bruk --url mot en tjeneste som har det)."
        )
    assistant = Assistant(settings)
    assistant.load()
    info: dict[str, object] = {
        "target": "i prosess",
        "index": str(settings.chroma_url or settings.index_dir),
        "embeddings": assistant.embedder.name,
        "answerer": assistant.answerer_name,
        "decision": assistant.decision_settings,
    }
    return InProcessTarget(assistant, mode), info


def run_norquad_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.url or args.questions:
        raise EvalUsageError(
            "--norquad bygger sin egen midlertidige indeks og kan ikke "
            "kombineres med --url eller --questions."
        )
    data: Path = args.norquad
    for name in ("passages.jsonl", "questions.jsonl"):
        if not (data / name).is_file():
            raise EvalUsageError(
                f"Fant ikke {data / name}. --norquad skal peke på mappen med "
                "passages.jsonl og questions.jsonl."
            )
    try:
        from eval.norquad import run_norquad
    except ImportError as exc:
        raise EvalUsageError(
            "NorQuAD-kjøringen er ikke tilgjengelig i denne versjonen.", detail=str(exc)
        ) from exc
    if args.mode == "generative" and not settings.generative:
        raise EvalUsageError("Generativ modus krever LHL_LLM_BASE_URL og LHL_LLM_MODEL.")
    print(
        f"NorQuAD {args.split}: bygger eller gjenbruker en midlertidig indeks (første gang tar "
        "det noen minutter); hovedindeksen røres ikke.",
        file=sys.stderr,
    )
    report = run_norquad(
        settings,
        data,
        args.split,
        out_dir=None,
        limit=args.limit,
        mode=args.mode,
        on_result=_progress(args.limit),
    )
    report.meta["created"] = datetime.now().astimezone().isoformat(timespec="seconds")
    return finish(report, args.out or DEFAULT_OUT / f"norquad-{args.split}", args.min_accuracy)


def finish(report: EvalReport, out: Path, min_accuracy: float | None) -> int:
    for path in write_reports(report, out):
        print(f"Skrev {path}")
    s = report.summary
    shown = [
        k
        for k in SUMMARY_LINE
        if k in s
        and (s.get("unanswerable") or k not in ON_UNANSWERABLE)
        and (k != "errors" or s[k])
    ]
    print("; ".join(f"{LABELS.get(k, k)} {format_figure(k, s[k])}" for k in shown))
    if min_accuracy is not None and s.answer_accuracy < min_accuracy:
        print(f"Svarnøyaktigheten er under {min_accuracy}.", file=sys.stderr)
        return 1
    return 0


SUMMARY_LINE = (*HEADLINE_FIGURES, "errors")


def run_diff_command(args: argparse.Namespace) -> int:
    from eval.diff import compare, read_report, render_diff

    if args.tolerance < 0 or (args.latency_tolerance is not None and args.latency_tolerance < 0):
        raise EvalUsageError("Toleransen kan ikke være negativ.")
    reports = []
    for path in (args.old, args.new):
        try:
            reports.append(read_report(path))
        except (OSError, ValueError) as exc:
            raise EvalUsageError(
                f"Kunne ikke lese rapporten {path}. Pek på en report.json skrevet av «lhl eval».",
                detail=str(exc),
            ) from exc
    d = compare(reports[0], reports[1], args.tolerance, args.latency_tolerance)
    text = render_diff(d, args.tolerance)
    print(text, end="")
    if args.diff_out:
        args.diff_out.parent.mkdir(parents=True, exist_ok=True)
        args.diff_out.write_text(text, encoding="utf-8")
    return 1 if d.regressions else 0


def _answer_modes(results: list[Result]) -> str:
    counts = Counter(r.mode for r in results if r.mode)
    return ", ".join(f"{mode} {n}" for mode, n in counts.most_common())


def _grounding_verdicts(results: list[Result]) -> str:
    """How the generated answers fared: grounded 70, trimmed 3, rejected 2 …"""
    counts = Counter(r.grounding for r in results if r.grounding)
    return ", ".join(f"{verdict} {n}" for verdict, n in counts.most_common())


def _progress(total: int | None) -> Callable[[Result], None] | None:
    """A counter on stderr when it is a terminal (total None: not known in advance)."""
    if not sys.stderr.isatty():
        return None
    done = 0

    def show(result: Result) -> None:
        nonlocal done
        done += 1
        sys.stderr.write(f"\rSpørsmål {done}" + (f"/{total}" if total else ""))
        if total and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
