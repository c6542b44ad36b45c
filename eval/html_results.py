"""report.html's table of every question (eval/html.py holds the rest of the page): one row
per result with why it passed or failed, what was expected, the answer and its citations
with the expected text marked, and the filters above the table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from eval.labels import TAG_LABELS, format_figure
from eval.questions import contains
from eval.records import CitationJSON, Result
from lhl.records import SECTION_SEP

_DASH = "[-–—‐‑−]"


def esc(value: object) -> str:
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
        out += [esc(text[pos:start]), f"<mark>{esc(text[start:end])}</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def _verdict(r: Result) -> str:
    if not r.passed:
        return f'<span class="status fail">✗ Ikke bestått</span><span class="why">{esc(r.reason)}.</span>'
    if not r.answerable:
        why = "Sa riktig at dokumentene ikke svarer på dette."
    else:
        bits = []
        if r.matched:
            bits.append(f"Svaret inneholder «{r.matched}».")
        if r.evidence_citation:
            bits.append(f"Kilde [{r.evidence_citation}] inneholder beviset.")
        why = " ".join(bits) or "Svaret ble funnet."
    return f'<span class="status pass">✓ Bestått</span><span class="why">{esc(why)}</span>'


def _question_cell(r: Result) -> str:
    out = [f'<span class="qid">{esc(r.id)}</span><br>{esc(r.question)}']
    if r.history:
        turns = "".join(
            f"<li><strong>{'Bruker' if t['role'] == 'user' else 'Assistent'}:</strong> "
            f"{esc(t['content'])}</li>"
            for t in r.history
        )
        out.append(
            f'<details class="history"><summary>Samtalen før ({len(r.history)} '
            f'innlegg)</summary><ul class="plain">{turns}</ul></details>'
        )
    if r.resolved_question:
        out.append(f'<p class="resolved">Tolket som: «{esc(r.resolved_question)}»</p>')
    if r.tags:
        chips = "".join(
            f"<li>{esc(TAG_LABELS.get(k, k))}: {esc(v)}</li>" for k, v in r.tags.items()
        )
        out.append(f'<ul class="tags" aria-label="Merker">{chips}</ul>')
    return "".join(out)


def _expected_cell(r: Result) -> str:
    if not r.answerable:
        return "<em>Dokumentene svarer ikke: assistenten skal si at den ikke fant svaret.</em>"
    items = "".join(
        f'<li class="{"hit" if e == r.matched else ""}">«{esc(e)}»'
        + (" ✓" if e == r.matched else "")
        + "</li>"
        for e in r.expected
    )
    out = f'<ul class="plain">{items}</ul>' if items else ""
    if r.expected_all:
        missing = set(r.missing)
        whole = "".join(
            f'<li class="{"miss" if e in missing else "hit"}">«{esc(e)}»'
            + (" ✗" if e in missing else " ✓")
            + "</li>"
            for e in r.expected_all
        )
        out += f'<p class="resolved">Hele listen:</p><ul class="plain">{whole}</ul>'
    if r.evidence:
        state = (
            '<span class="hit">funnet ✓</span>'
            if r.evidence_found
            else '<span class="miss">ikke i kildene ✗</span>'
        )
        out += f'<p class="resolved">Bevis: «{esc(r.evidence)}» – {state}</p>'
    return out


def _answer_cell(r: Result, show_mode: bool) -> str:
    prefix = '<span class="nf">Fant ikke svar i dokumentene.</span>' if not r.found else ""
    if r.error:
        prefix = '<span class="nf">Ingen svar (feil).</span>'
    mode = f'<span class="src">Modus: {esc(r.mode)}</span>' if show_mode and r.mode else ""
    return prefix + highlight(r.answer, [*r.expected, *r.expected_all]) + mode


def _citation(c: CitationJSON, needles: list[str], holds_evidence: bool) -> str:
    section = str(c.get("section") or "")
    short = section.rsplit(SECTION_SEP.strip(), 1)[-1].strip() or str(
        c.get("title") or c.get("doc_id") or ""
    )
    page = c.get("page")
    if page:
        short += f", side {page}"
    mark = ' <span class="hit">– beviset ✓</span>' if holds_evidence else ""
    where = " · ".join(esc(x) for x in (c.get("title"), section, c.get("source")) if x)
    found = c.get("score")
    score = f" · treff {found}" if isinstance(found, int | float) else ""
    return (
        f"<details><summary>[{esc(c.get('n', '?'))}] {esc(short)}{mark}</summary>"
        f"<blockquote>{highlight(str(c.get('text') or ''), needles)}</blockquote>"
        f'<span class="src">{where}{esc(score)}</span></details>'
    )


def _citations_cell(r: Result) -> str:
    if not r.citations:
        return "<em>Ingen</em>"
    evidence = r.evidence
    out = [] if r.found else ['<span class="nf">Nærmeste avsnitt (ikke et svar):</span>']
    for c in r.citations:
        holds = bool(evidence) and contains(str(c.get("text") or ""), str(evidence))
        out.append(_citation(c, [evidence] if evidence else [], holds))
    return "".join(out)


def _tag_token(key: str, value: str) -> str:
    return f"{key}={value.replace(' ', '_')}"


def render_results(results: Sequence[Result]) -> str:
    # The answer mode is only news when a run mixes them (generative with extractive fallbacks).
    show_mode = len({r.mode for r in results if r.mode}) > 1
    rows = []
    for r in results:
        status = "pass" if r.passed else "fail"
        tokens = " ".join(_tag_token(k, v) for k, v in r.tags.items())
        rows.append(
            f'<tr class="{status}" data-status="{status}" data-tags="{esc(tokens)}">'
            f"<td>{_verdict(r)}</td><td>{_question_cell(r)}</td><td>{_expected_cell(r)}</td>"
            f"<td>{_answer_cell(r, show_mode)}</td><td>{_citations_cell(r)}</td>"
            f'<td class="num">{esc(format_figure("latency", r.latency_ms))}</td></tr>'
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


def render_filters(results: Sequence[Result]) -> str:
    """The controls that filter the table (shown by the page's script)."""
    values: dict[str, set[str]] = {}
    for r in results:
        for k, v in r.tags.items():
            values.setdefault(k, set()).add(v)
    groups = "".join(
        f'<optgroup label="{esc(TAG_LABELS.get(k, k).capitalize())}">'
        + "".join(f'<option value="{esc(_tag_token(k, v))}">{esc(v)}</option>' for v in sorted(vs))
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
