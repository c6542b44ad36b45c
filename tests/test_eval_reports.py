"""What evaluators read: report.md/html, `lhl eval diff`, the README figures and the gate."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main
from eval.gate import THRESHOLDS, load_thresholds, shortfalls
from eval.questions import EvalQuestion
from eval.records import EvalReport
from eval.report import build_report, write_reports
from eval.runner import score
from lhl.records import Turn
from lhl.settings import Settings
from tests.conftest import ROOT
from tests.server_fixtures import settings_env

sys.path.insert(0, str(ROOT / "scripts"))
import readme_figures  # noqa: E402


def sample_report() -> EvalReport:
    """Four scored answers: a pass, a failure with hostile text, a right and a wrong refusal."""
    passage = "Leve hele livet-prisen for 2022 gikk til Melhus kommune."
    cite = {
        "n": 1,
        "doc_id": "d",
        "title": "Årsrapport",
        "section": "Kap 2 › 2.4.4 Prisen",
        "source": "corpus/d.txt",
        "page": 3,
        "text": passage,
        "score": 0.8,
    }
    ok = score(
        EvalQuestion(
            "k1",
            "Hvem vant prisen i 2022?",
            ("Melhus",),
            "gikk til Melhus",
            tags={"type": "hvem", "doc": "d"},
        ),
        {
            "answer": "Prisen gikk til Melhus kommune [1].",
            "found": True,
            "citations": [cite],
            "mode": "extractive",
        },
        12.0,
    )
    bad = score(
        EvalQuestion(
            "k2",
            "Og året før?",
            ("Trondheim",),
            "Trondheim",
            history=(Turn("user", "Hvem vant i 2022?"), Turn("assistant", "Melhus.")),
            tags={"type": "hvem", "doc": "d", "style": "oppfølging"},
        ),
        {
            "answer": "<script>alert(1)</script> Melhus [1].",
            "found": True,
            "citations": [cite],
            "resolved_question": "Hvem vant i 2021?",
            "mode": "extractive",
        },
        30.0,
    )
    refused = score(
        EvalQuestion("u1", "Hvem vant i 2019?", answerable=False, tags={"type": "hvem"}),
        {"answer": "Det står ikke i dokumentene.", "found": False, "citations": [cite]},
        8.0,
    )
    answered = score(
        EvalQuestion("u2", "Hva kostet konferansen?", answerable=False, tags={"type": "antall"}),
        {"answer": "Den kostet mye [1].", "found": True, "citations": [cite]},
        9.0,
    )
    return build_report([ok, bad, refused, answered], {"files": "q.jsonl", "target": "i prosess"})


# -- report.md and report.html ---------------------------------------------------------------
def test_markdown_has_summary_breakdowns_and_failures() -> None:
    from eval.report import render_markdown

    md = render_markdown(sample_report())
    assert "| Svarnøyaktighet | 50,0 % |" in md and "| Riktig avvisning | 50,0 % |" in md
    assert "## Etter spørsmålstype" in md and "| hvem | 3 | 1/2 (50,0 %) | 1/1 (100,0 %) |" in md
    assert "## Ikke bestått (2)" in md and "**k2**" in md and "**u2**" in md and "**k1**" not in md


def test_html_is_self_contained_escaped_and_failures_first(tmp_path: Path) -> None:
    paths = write_reports(sample_report(), tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    assert html.startswith("<!doctype html>") and '<html lang="nb">' in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched
    assert "<link" not in html and "<script src" not in html and "@import" not in html
    assert (
        "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    )
    order = [m.group(1) for m in re.finditer(r'<span class="qid">([^<]+)</span>', html)]
    assert order[:2] == ["k2", "u2"] and sorted(order[2:]) == ["k1", "u1"]
    assert 'scope="col"' in html and 'scope="row"' in html and "<caption>" in html
    assert "Tolket som: «Hvem vant i 2021?»" in html and "Samtalen før (2 innlegg)" in html
    assert "<details><summary>[1] 2.4.4 Prisen, side 3" in html
    assert "<mark>gikk til Melhus</mark>" in html  # the evidence marked in the passage
    assert "Feilaktige svar på ubesvarbare" in html and "1 av 2 ubesvarbare" in html


@pytest.mark.browser
def test_report_html_in_a_browser_is_accessible_and_filters(tmp_path: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    write_reports(sample_report(), tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.goto((tmp_path / "report.html").as_uri())
        rows = page.locator("#results tbody tr")
        assert rows.count() == 4
        page.select_option("#f-status", "fail")
        assert page.locator("#results tbody tr:visible").count() == 2
        assert page.locator("#count").inner_text() == "Viser 2 av 4 spørsmål."
        page.select_option("#f-status", "alle")
        page.fill("#f-text", "konferansen")
        assert page.locator("#results tbody tr:visible").count() == 1
        page.fill("#f-text", "")
        citation = page.locator("#results details", has=page.locator("blockquote")).first
        passage = citation.locator("blockquote")
        assert not passage.is_visible()
        citation.locator("summary").click()
        assert passage.is_visible() and "Melhus kommune" in passage.inner_text()
        results = Axe().run(page)
        serious = [
            v["id"]
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        browser.close()
    assert serious == []


# -- lhl eval diff ---------------------------------------------------------------------------
def test_diff_lists_flips_and_gates_on_tolerance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = sample_report().to_json()
    new = copy.deepcopy(old)
    for r in new["results"]:
        if r["id"] == "k1":
            r.update(passed=False, reason="svarte «ikke funnet»")
        if r["id"] == "u2":
            r.update(passed=True, reason="")
    new["summary"].update(answer_accuracy=0.45, refusal_accuracy=0.5, false_answer_rate=0.5)
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "report.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    out = tmp_path / "diff.md"
    argv = ["eval", "diff", str(tmp_path / "old"), str(tmp_path / "new.json")]
    assert main([*argv, "--diff-out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "## Bestått før, ikke bestått nå (1)" in text and "**k1**" in text
    assert "## Ikke bestått før, bestått nå (1)" in text and "**u2**" in text
    assert (
        "| Svarnøyaktighet | 50,0 % | 45,0 % | −5,0 prosentpoeng | **verre enn toleransen** |"
        in text
    )
    assert "Resultat: VERRE" in text and out.read_text(encoding="utf-8") == text
    assert main([*argv, "--tolerance", "0.05"]) == 0
    assert "Resultat: ingen mål ble verre" in capsys.readouterr().out
    # a rising false-answer rate is a regression too; slower answers only with --latency-tolerance
    new["summary"].update(answer_accuracy=0.5, false_answer_rate=0.75, latency_ms_p95=99.0)
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    assert main([*argv, "--tolerance", "0.2"]) == 1
    new["summary"].update(false_answer_rate=0.5)
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    assert main(argv) == 0 and main([*argv, "--latency-tolerance", "0.5"]) == 1


def test_diff_of_a_missing_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 2
    assert "Kunne ikke lese rapporten" in capsys.readouterr().err


# -- README figures --------------------------------------------------------------------------
def test_readme_figures_fill_the_markers_from_reports(tmp_path: Path) -> None:
    kf = sample_report().to_json()
    nq = sample_report().to_json()
    nq["summary"].update(unanswerable=0, recall_at_1=0.8, recall_at_5=0.95, mrr=0.8612)
    for name, report in (("kf.json", kf), ("nq.json", nq)):
        (tmp_path / name).write_text(json.dumps(report), encoding="utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# X\n\n<!-- eval-figures:start -->\nold\n<!-- eval-figures:end -->\n\nslutt\n",
        encoding="utf-8",
    )
    args = [
        "--known-facts",
        str(tmp_path / "kf.json"),
        "--norquad",
        str(tmp_path / "nq.json"),
        "--known-facts-lexical",
        str(tmp_path / "missing.json"),
        "--norquad-lexical",
        str(tmp_path / "missing.json"),
        "--bench",
        str(tmp_path / "missing.json"),  # the speed table stays as it is (tests/test_bench.py)
        "--readme",
        str(readme),
    ]
    assert readme_figures.main([*args, "--check"]) == 1
    assert readme_figures.main(args) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("<!-- eval-figures:end -->\n\nslutt\n")
    assert "| Mål | Kjente fakta, leser | NorQuAD (test), leser |" in text
    assert "| Svarnøyaktighet | 50,0 % | 50,0 % |" in text
    assert "| Riktig avvisning | 50,0 % | – |" in text and "| MRR | – | 0,861 |" in text
    assert readme_figures.main([*args, "--check"]) == 0
    readme.write_text("# ingen merker\n", encoding="utf-8")
    assert readme_figures.main(args) == 2


# -- the gate --------------------------------------------------------------------------------
def test_thresholds_file_and_shortfalls() -> None:
    floors = load_thresholds(THRESHOLDS)
    assert {"answer_accuracy", "refusal_accuracy"} <= set(floors)
    summary = {"answer_accuracy": 0.9, "refusal_accuracy": 0.1}
    low = shortfalls(
        summary, {"answer_accuracy": 0.5, "refusal_accuracy": 0.3, "evidence_recall": 0.2}
    )
    assert [s.key for s in low] == ["refusal_accuracy", "evidence_recall"]
    assert low[0].message() == "Riktig avvisning er 10,0 %, under kravet på 30,0 %."


@pytest.mark.slow
def test_gate_script_fails_below_its_thresholds(hash_index: Settings, tmp_path: Path) -> None:
    floors = tmp_path / "t.json"
    floors.write_text(
        json.dumps({"known_facts": {"answer_accuracy": 1.0, "refusal_accuracy": 0.0}})
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "eval_gate.py"),
            "--thresholds",
            str(floors),
            "--out",
            str(tmp_path / "r"),
        ],
        cwd=tmp_path,
        env=settings_env(hash_index),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "IKKE GODKJENT: Svarnøyaktighet er" in proc.stderr
    assert "Riktig avvisning" in proc.stdout and (tmp_path / "r" / "report.html").exists()
