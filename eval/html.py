"""report.html: one self-contained page (inline CSS and JS, no external resources) in
Norwegian for evaluators: the summary, breakdowns by tag, and every question with its answer,
citations and why it passed or failed, failures first (that table: eval/html_results.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from eval.html_assets import CSS, JS
from eval.html_results import esc, render_filters, render_results
from eval.labels import LABELS, ON_LISTS, ON_UNANSWERABLE, TAG_LABELS, format_figure
from eval.records import EvalReport, Result

# The summary cards: figure, how to count it from the results, and a one-line explanation.
CARDS = (
    (
        "answer_accuracy",
        "Besvarbare spørsmål der svaret inneholder det forventede og en kilde inneholder beviset.",
    ),
    (
        "partial",
        "Listespørsmål der svaret har noe av listen, men ikke alt (teller som ikke bestått).",
    ),
    ("evidence_recall", "Besvarbare spørsmål der en av de oppgitte kildene inneholder beviset."),
    (
        "refusal_accuracy",
        "Spørsmål dokumentene ikke svarer på, der assistenten sa at den ikke fant svaret.",
    ),
    (
        "false_answer_rate",
        "Spørsmål dokumentene ikke svarer på, der assistenten likevel svarte. Lavere er bedre.",
    ),
    ("latency_ms_p50", "Halvparten av svarene kom raskere enn dette."),
    ("latency_ms_p95", "95 av 100 svar kom raskere enn dette."),
    ("answer_chars_median", "Typisk lengde på et svar (besvarte spørsmål)."),
    ("recall_at_1", "Riktig avsnitt øverst i søket."),
    ("recall_at_5", "Riktig avsnitt blant de fem første i søket."),
    ("mrr", "Gjennomsnittlig 1/plassering for riktig avsnitt (1 er best)."),
)


def _count(key: str, results: Sequence[Result]) -> str:
    """«116 av 215 besvarbare»: the figure as a count, from the results themselves."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    if key == "answer_accuracy":
        return f"{sum(r.passed for r in answerable)} av {len(answerable)} besvarbare"
    if key == "evidence_recall":
        with_evidence = [r for r in answerable if r.evidence]
        return f"{sum(bool(r.evidence_found) for r in with_evidence)} av {len(with_evidence)} med bevis"
    if key == "refusal_accuracy":
        return f"{sum(r.passed for r in unanswerable)} av {len(unanswerable)} ubesvarbare"
    if key == "partial":
        return f"av {sum(bool(r.expected_all) for r in answerable)} listespørsmål"
    if key == "false_answer_rate":
        return f"{sum(r.found for r in unanswerable)} av {len(unanswerable)} ubesvarbare"
    return ""


CARD_LABELS = {
    "partial": "Delvise lister",
    "latency_ms_p50": "Svartid p50",
    "latency_ms_p95": "Svartid p95",
    "answer_chars_median": "Svarlengde (median)",
}
META_LABELS = {
    "created": "Kjørt",
    "files": "Spørsmålsfiler",
    "target": "Mål",
    "mode": "Modus",
    "embeddings": "Embedding-modell",
    "benchmark": "Referansetest",
    "data": "Data",
    "index": "Indeks",
    "answer_modes": "Svarmoduser",
    "grounding": "Kontroll mot kildene (generativ)",
    "embedder": "Embedding-modell (tjenesten)",
    "documents": "Dokumenter",
    "chunks": "Avsnitt i indeksen",
}


def render_cards(report: EvalReport) -> str:
    s = report.summary
    items = []
    for key, help_text in CARDS:
        if key not in s or (key in ON_UNANSWERABLE and not s.get("unanswerable")):
            continue
        if key in ON_LISTS and not s.get("list_questions"):
            continue
        detail = _count(key, report.results)
        value = format_figure(key, s[key]) + (" ms" if key.startswith("latency") else "")
        if key == "answer_chars_median":
            value += " tegn"
        items.append(
            f'<li class="card"><span class="label">{esc(CARD_LABELS.get(key) or LABELS.get(key, key))}</span>'
            f'<span class="value">{esc(value)}</span>'
            + (f'<span class="detail">{esc(detail)}</span>' if detail else "")
            + f'<span class="help">{esc(help_text)}</span></li>'
        )
    counts = f"{s.questions} spørsmål"
    if s.unanswerable:
        counts += f": {s.answerable} besvarbare og {s.unanswerable} som dokumentene ikke svarer på"
    counts += "."
    if s.errors:
        counts += f" {s.errors} spørsmål fikk feil fra tjenesten (telles som ikke bestått)."
    return f'<p>{esc(counts)}</p><ul class="cards">{"".join(items)}</ul>'


def _ratio_cell(num: int, den: int, share: float | None) -> str:
    if not den:
        return '<td class="num">–</td>'
    width = round((share or 0) * 100)
    return (
        f'<td class="num">{num}/{den} ({esc(format_figure("answer_accuracy", share))})'
        f'<span class="bar" aria-hidden="true"><span style="width:{width}%"></span></span></td>'
    )


def render_breakdowns(report: EvalReport) -> str:
    parts = []
    for key, groups in report.breakdowns.items():
        label = TAG_LABELS.get(key, key)
        rows = "".join(
            f'<tr><th scope="row">{esc(g.value)}</th><td class="num">{g.questions}</td>'
            + _ratio_cell(g.answered_correctly, g.answerable, g.answer_accuracy)
            + _ratio_cell(g.refused_correctly, g.unanswerable, g.refusal_accuracy)
            + f'<td class="num">{esc(format_figure("evidence_recall", g.evidence_recall))}</td></tr>'
            for g in groups
        )
        parts.append(
            f"<table><caption>Etter {esc(label)}</caption><thead><tr>"
            f'<th scope="col">{esc(label.capitalize())}</th><th scope="col" class="num">Spørsmål</th>'
            '<th scope="col" class="num">Riktige svar</th>'
            '<th scope="col" class="num">Riktige avvisninger</th>'
            '<th scope="col" class="num">Kildetreff</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        f'<div class="groups">{"".join(parts)}</div>'
        if parts
        else "<p>Spørsmålene har ingen merker.</p>"
    )


def _when(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%d.%m.%Y kl. %H:%M")
    except ValueError:
        return str(value)


def render_meta(meta: dict[str, object]) -> str:
    items = "".join(
        f"<dt>{esc(META_LABELS.get(k, k))}:</dt><dd>{esc(_when(v) if k == 'created' else v)}</dd>"
        for k, v in meta.items()
        if v
    )
    return f'<dl class="meta">{items}</dl>' if items else ""


def render_html(report: EvalReport) -> str:
    meta = report.meta
    title = (
        f"Evalueringsrapport – {meta['benchmark']}"
        if meta.get("benchmark")
        else "Evalueringsrapport"
    )
    results = report.results
    failed = sum(not r.passed for r in results)
    return f"""<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} – Leve hele livet-assistenten</title>
<style>{CSS}</style>
</head>
<body>
<a class="skip" href="#sporsmal">Hopp til spørsmålene</a>
<header>
<h1>{esc(title)}</h1>
{render_meta(meta)}
</header>
<main>
<section aria-labelledby="h-sammendrag">
<h2 id="h-sammendrag">Sammendrag</h2>
{render_cards(report)}
</section>
<section aria-labelledby="h-fordeling">
<h2 id="h-fordeling">Fordeling</h2>
<p class="explain">Resultatene fordelt etter merkene på spørsmålene. «Riktige svar» gjelder
spørsmål dokumentene svarer på, «riktige avvisninger» spørsmål de ikke svarer på.</p>
{render_breakdowns(report)}
</section>
<section aria-labelledby="h-sporsmal" id="sporsmal">
<h2 id="h-sporsmal">Alle spørsmål ({len(results)}, {failed} ikke bestått)</h2>
<p class="explain">Klikk på en kilde for å se avsnittet. Gult merker det forventede svaret i
svaret og beviset i kilden.</p>
{render_filters(results)}
{render_results(results)}
</section>
</main>
<script>{JS}</script>
</body>
</html>
"""
