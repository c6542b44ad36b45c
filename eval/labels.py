"""The report's Norwegian labels and how its figures are written, shared by the Markdown and
HTML reports (eval/report.py, eval/html.py), the diff, the gate and the README figures."""

from __future__ import annotations

# Norwegian names for the summary figures and tags, shared by the Markdown and HTML reports.
LABELS = {
    "questions": "Spørsmål",
    "answerable": "Besvarbare",
    "unanswerable": "Ubesvarbare",
    "answer_accuracy": "Svarnøyaktighet",
    "list_questions": "Listespørsmål (hele listen kreves)",
    "partial": "Delvise svar (noe av listen)",
    "evidence_recall": "Kildetreff",
    "refusal_accuracy": "Riktig avvisning",
    "false_answer_rate": "Feilaktige svar på ubesvarbare",
    "answer_chars_median": "Svarlengde, median (tegn)",
    "latency_ms_p50": "Svartid p50 (ms)",
    "latency_ms_p95": "Svartid p95 (ms)",
    "errors": "Feil fra tjenesten",
    "recall_at_1": "Gjenfinning @1",
    "recall_at_5": "Gjenfinning @5",
    "mrr": "MRR",
}
TAG_LABELS = {"type": "spørsmålstype", "doc": "dokument", "style": "stil", "domain": "domene"}
RATIOS = {
    "answer_accuracy",
    "evidence_recall",
    "refusal_accuracy",
    "false_answer_rate",
    "recall_at_1",
    "recall_at_5",
}
ON_UNANSWERABLE = ("refusal_accuracy", "false_answer_rate")
ON_LISTS = ("list_questions", "partial")  # meaningless without expected_all questions
# The headline figures, in the order the CLI line and the README table show them.
HEADLINE_FIGURES = (
    "questions",
    "answer_accuracy",
    "partial",
    "evidence_recall",
    "refusal_accuracy",
    "false_answer_rate",
    "recall_at_1",
    "recall_at_5",
    "mrr",
    "answer_chars_median",
    "latency_ms_p50",
    "latency_ms_p95",
)  # meaningless without such questions


def format_figure(key: str, value: object) -> str:
    if value is None:
        return "–"
    if key in RATIOS and isinstance(value, int | float):
        return f"{value * 100:.1f} %".replace(".", ",")
    if key == "mrr" and isinstance(value, int | float):
        return f"{value:.3f}".replace(".", ",")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)
