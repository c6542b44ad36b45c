"""report.html: one self-contained page (inline CSS and JS, no external resources) in
Norwegian for evaluators: the summary, breakdowns by tag, and every question with its answer,
citations and why it passed or failed, failures first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from eval.html_assets import CSS, JS
from eval.labels import LABELS, ON_LISTS, ON_UNANSWERABLE, TAG_LABELS, format_figure
from eval.questions import contains
from lhl.records import SECTION_SEP

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


def _count(key: str, results: Sequence[dict[str, Any]]) -> str:
    """«116 av 215 besvarbare»: the figure as a count, from the results themselves."""
    answerable = [r for r in results if r.get("answerable", True)]
    unanswerable = [r for r in results if not r.get("answerable", True)]
    if key == "answer_accuracy":
        return f"{sum(r['passed'] for r in answerable)} av {len(answerable)} besvarbare"
    if key == "evidence_recall":
        with_evidence = [r for r in answerable if r.get("evidence")]
        return f"{sum(bool(r.get('evidence_found')) for r in with_evidence)} av {len(with_evidence)} med bevis"
    if key == "refusal_accuracy":
        return f"{sum(r['passed'] for r in unanswerable)} av {len(unanswerable)} ubesvarbare"
    if key == "partial":
        return f"av {sum(bool(r.get('expected_all')) for r in answerable)} listespørsmål"
    if key == "false_answer_rate":
        return f"{sum(r['found'] for r in unanswerable)} av {len(unanswerable)} ubesvarbare"
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
_DASH = "[-–—‐‑−]"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _pattern(needle: str) -> re.Pattern[str] | None:
    """The needle as a pattern that tolerates what the matcher forgives (case, spacing, dashes)."""
    words = [w for w in re.split(r"\s+", needle.strip()) if w]
    if not words:
        return None
    parts = [re.sub(r"\\?[-–—‐‑−]", _DASH, re.escape(w)) for w in words]
    return re.compile(r"\s+".join(parts), re.IGNORECASE)


def highlight(text: str, needles: Sequence[str]) -> str:
    """Escaped text with each needle found in it wrapped in <mark>."""
    spans: list[tuple[int, int]] = []
    for needle in needles:
        pattern = _pattern(needle)
        if pattern:
            spans += [m.span() for m in pattern.finditer(text)]
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out += [_e(text[pos:start]), f"<mark>{_e(text[start:end])}</mark>"]
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)


def render_cards(report: dict[str, Any]) -> str:
    s = report["summary"]
    results = report.get("results") or []
    items = []
    for key, help_text in CARDS:
        if key not in s or (key in ON_UNANSWERABLE and not s.get("unanswerable")):
            continue
        if key in ON_LISTS and not s.get("list_questions"):
            continue
        detail = _count(key, results)
        value = format_figure(key, s[key]) + (" ms" if key.startswith("latency") else "")
        if key == "answer_chars_median":
            value += " tegn"
        items.append(
            f'<li class="card"><span class="label">{_e(CARD_LABELS.get(key) or LABELS.get(key, key))}</span>'
            f'<span class="value">{_e(value)}</span>'
            + (f'<span class="detail">{_e(detail)}</span>' if detail else "")
            + f'<span class="help">{_e(help_text)}</span></li>'
        )
    counts = f"{s.get('questions', 0)} spørsmål"
    if s.get("unanswerable"):
        counts += (
            f": {s.get('answerable', 0)} besvarbare og {s['unanswerable']} som dokumentene "
            "ikke svarer på"
        )
    counts += "."
    if s.get("errors"):
        counts += f" {s['errors']} spørsmål fikk feil fra tjenesten (telles som ikke bestått)."
    return f'<p>{_e(counts)}</p><ul class="cards">{"".join(items)}</ul>'


def _ratio_cell(num: int, den: int, share: float | None) -> str:
    if not den:
        return '<td class="num">–</td>'
    width = round((share or 0) * 100)
    return (
        f'<td class="num">{num}/{den} ({_e(format_figure("answer_accuracy", share))})'
        f'<span class="bar" aria-hidden="true"><span style="width:{width}%"></span></span></td>'
    )


def render_breakdowns(report: dict[str, Any]) -> str:
    parts = []
    for key, groups in (report.get("breakdowns") or {}).items():
        label = TAG_LABELS.get(key, key)
        rows = "".join(
            f'<tr><th scope="row">{_e(g["value"])}</th><td class="num">{g["questions"]}</td>'
            + _ratio_cell(g["answered_correctly"], g["answerable"], g["answer_accuracy"])
            + _ratio_cell(g["refused_correctly"], g["unanswerable"], g["refusal_accuracy"])
            + f'<td class="num">{_e(format_figure("evidence_recall", g["evidence_recall"]))}</td></tr>'
            for g in groups
        )
        parts.append(
            f"<table><caption>Etter {_e(label)}</caption><thead><tr>"
            f'<th scope="col">{_e(label.capitalize())}</th><th scope="col" class="num">Spørsmål</th>'
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


def _verdict(r: dict[str, Any]) -> str:
    if not r["passed"]:
        return f'<span class="status fail">✗ Ikke bestått</span><span class="why">{_e(r["reason"])}.</span>'
    if not r.get("answerable", True):
        why = "Sa riktig at dokumentene ikke svarer på dette."
    else:
        bits = []
        if r.get("matched"):
            bits.append(f"Svaret inneholder «{r['matched']}».")
        if r.get("evidence_citation"):
            bits.append(f"Kilde [{r['evidence_citation']}] inneholder beviset.")
        why = " ".join(bits) or "Svaret ble funnet."
    return f'<span class="status pass">✓ Bestått</span><span class="why">{_e(why)}</span>'


def _question_cell(r: dict[str, Any]) -> str:
    out = [f'<span class="qid">{_e(r["id"])}</span><br>{_e(r["question"])}']
    history = r.get("history") or []
    if history:
        turns = "".join(
            f"<li><strong>{'Bruker' if t['role'] == 'user' else 'Assistent'}:</strong> "
            f"{_e(t['content'])}</li>"
            for t in history
        )
        out.append(
            f'<details class="history"><summary>Samtalen før ({len(history)} '
            f'innlegg)</summary><ul class="plain">{turns}</ul></details>'
        )
    if r.get("resolved_question"):
        out.append(f'<p class="resolved">Tolket som: «{_e(r["resolved_question"])}»</p>')
    tags = r.get("tags") or {}
    if tags:
        chips = "".join(f"<li>{_e(TAG_LABELS.get(k, k))}: {_e(v)}</li>" for k, v in tags.items())
        out.append(f'<ul class="tags" aria-label="Merker">{chips}</ul>')
    return "".join(out)


def _expected_cell(r: dict[str, Any]) -> str:
    if not r.get("answerable", True):
        return "<em>Dokumentene svarer ikke: assistenten skal si at den ikke fant svaret.</em>"
    items = "".join(
        f'<li class="{"hit" if e == r.get("matched") else ""}">«{_e(e)}»'
        + (" ✓" if e == r.get("matched") else "")
        + "</li>"
        for e in r.get("expected") or []
    )
    out = f'<ul class="plain">{items}</ul>' if items else ""
    if r.get("expected_all"):
        missing = set(r.get("missing") or [])
        whole = "".join(
            f'<li class="{"miss" if e in missing else "hit"}">«{_e(e)}»'
            + (" ✗" if e in missing else " ✓")
            + "</li>"
            for e in r["expected_all"]
        )
        out += f'<p class="resolved">Hele listen:</p><ul class="plain">{whole}</ul>'
    if r.get("evidence"):
        state = (
            '<span class="hit">funnet ✓</span>'
            if r.get("evidence_found")
            else '<span class="miss">ikke i kildene ✗</span>'
        )
        out += f'<p class="resolved">Bevis: «{_e(r["evidence"])}» – {state}</p>'
    return out


def _answer_cell(r: dict[str, Any], show_mode: bool) -> str:
    prefix = '<span class="nf">Fant ikke svar i dokumentene.</span>' if not r["found"] else ""
    if r.get("error"):
        prefix = '<span class="nf">Ingen svar (feil).</span>'
    mode = f'<span class="src">Modus: {_e(r["mode"])}</span>' if show_mode and r.get("mode") else ""
    needles = [*(r.get("expected") or []), *(r.get("expected_all") or [])]
    return prefix + highlight(r.get("answer") or "", needles) + mode


def _citation(c: dict[str, Any], needles: list[str], holds_evidence: bool) -> str:
    section = str(c.get("section") or "")
    short = section.rsplit(SECTION_SEP.strip(), 1)[-1].strip() or str(
        c.get("title") or c.get("doc_id") or ""
    )
    if c.get("page"):
        short += f", side {c['page']}"
    mark = ' <span class="hit">– beviset ✓</span>' if holds_evidence else ""
    where = " · ".join(_e(x) for x in (c.get("title"), section, c.get("source")) if x)
    score = f" · treff {c['score']}" if isinstance(c.get("score"), int | float) else ""
    return (
        f"<details><summary>[{_e(c.get('n', '?'))}] {_e(short)}{mark}</summary>"
        f"<blockquote>{highlight(str(c.get('text') or ''), needles)}</blockquote>"
        f'<span class="src">{where}{_e(score)}</span></details>'
    )


def _citations_cell(r: dict[str, Any]) -> str:
    citations = r.get("citations") or []
    if not citations:
        return "<em>Ingen</em>"
    evidence = r.get("evidence")
    out = [] if r["found"] else ['<span class="nf">Nærmeste avsnitt (ikke et svar):</span>']
    for c in citations:
        holds = bool(evidence) and contains(str(c.get("text") or ""), str(evidence))
        out.append(_citation(c, [evidence] if evidence else [], holds))
    return "".join(out)


def _tag_tokens(tags: dict[str, str]) -> str:
    return " ".join(f"{k}={v.replace(' ', '_')}" for k, v in tags.items())


def render_results(results: Sequence[dict[str, Any]]) -> str:
    # The answer mode is only news when a run mixes them (generative with extractive fallbacks).
    show_mode = len({r.get("mode") for r in results if r.get("mode")}) > 1
    rows = []
    for r in results:
        status = "pass" if r["passed"] else "fail"
        rows.append(
            f'<tr class="{status}" data-status="{status}" data-tags="{_e(_tag_tokens(r.get("tags") or {}))}">'
            f"<td>{_verdict(r)}</td><td>{_question_cell(r)}</td><td>{_expected_cell(r)}</td>"
            f"<td>{_answer_cell(r, show_mode)}</td><td>{_citations_cell(r)}</td>"
            f'<td class="num">{_e(format_figure("latency", r.get("latency_ms")))}</td></tr>'
        )
    return (
        '<table id="results" class="results"><caption>Alle spørsmål, de som ikke besto først'
        '</caption><colgroup><col class="c-verdict"><col class="c-question"><col class="c-expected">'
        '<col class="c-answer"><col class="c-sources"><col class="c-time"></colgroup>'
        '<thead><tr><th scope="col">Resultat og begrunnelse</th>'
        '<th scope="col">Spørsmål</th><th scope="col">Forventet</th><th scope="col">Svar</th>'
        '<th scope="col">Kilder</th><th scope="col" class="num">Tid (ms)</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _filters(results: Sequence[dict[str, Any]]) -> str:
    values: dict[str, set[str]] = {}
    for r in results:
        for k, v in (r.get("tags") or {}).items():
            values.setdefault(k, set()).add(v)
    groups = "".join(
        f'<optgroup label="{_e(TAG_LABELS.get(k, k).capitalize())}">'
        + "".join(
            f'<option value="{_e(k)}={_e(v.replace(" ", "_"))}">{_e(v)}</option>'
            for v in sorted(vs)
        )
        + "</optgroup>"
        for k, vs in values.items()
        if len(vs) <= 50
    )
    return (
        '<div id="filters" class="filters" hidden>'
        '<label for="f-status">Vis<select id="f-status"><option value="alle">alle</option>'
        '<option value="fail">bare ikke bestått</option><option value="pass">bare bestått</option>'
        "</select></label>"
        f'<label for="f-tag">Merke<select id="f-tag"><option value="">alle merker</option>{groups}</select></label>'
        '<label for="f-text">Søk i tekst<input id="f-text" type="search"></label>'
        '<p id="count" aria-live="polite"></p></div>'
    )


def _when(value: Any) -> str:
    try:
        return datetime.fromisoformat(str(value)).strftime("%d.%m.%Y kl. %H:%M")
    except ValueError:
        return str(value)


def render_meta(meta: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{_e(META_LABELS.get(k, k))}:</dt><dd>{_e(_when(v) if k == 'created' else v)}</dd>"
        for k, v in meta.items()
        if v
    )
    return f'<dl class="meta">{items}</dl>' if items else ""


def render_html(report: dict[str, Any]) -> str:
    meta = report.get("meta") or {}
    title = (
        f"Evalueringsrapport – {meta['benchmark']}"
        if meta.get("benchmark")
        else "Evalueringsrapport"
    )
    results = report.get("results") or []
    failed = sum(not r["passed"] for r in results)
    return f"""<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} – Leve hele livet-assistenten</title>
<style>{CSS}</style>
</head>
<body>
<a class="skip" href="#sporsmal">Hopp til spørsmålene</a>
<header>
<h1>{_e(title)}</h1>
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
{_filters(results)}
{render_results(results)}
</section>
</main>
<script>{JS}</script>
</body>
</html>
"""
