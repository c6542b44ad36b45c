"""The evaluators' suite: question files, scoring, the in-process and HTTP targets, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from cli.main import build_parser, main
from eval.cli import run_eval_command
from eval.questions import (
    KNOWN_FACTS,
    EvalQuestion,
    QuestionFileError,
    load_question_files,
    load_questions,
)
from eval.remote import HttpTarget, ServiceUnavailable
from eval.runner import AnswerError, run, score, summarize
from lhl.records import Turn
from lhl.settings import Settings
from tests.conftest import CORPUS, make_settings

CONTRACT_SUMMARY = (
    "questions",
    "answerable",
    "unanswerable",
    "answer_accuracy",
    "evidence_recall",
    "refusal_accuracy",
    "answer_chars_median",
    "latency_ms_p50",
    "latency_ms_p95",
)
CONTRACT_RESULT = ("id", "passed", "found", "answer", "citations", "latency_ms", "reason")


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n",
        encoding="utf-8",
    )
    return path


# -- question files --------------------------------------------------------------------------
def test_question_file_fields_tags_history_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    rows = [
        {
            "id": "a",
            "question": "Hvem vant?",
            "expected": "Melhus",
            "evidence": "Melhus",
            "type": "hvem",
            "doc": "d1",
            "style": "direkte",
            "tags": {"tema": "pris"},
            "ignored": 1,
        },
        "",
        {
            "id": "b",
            "question": "Og året før?",
            "answerable": False,
            "expected": ["x"],
            "history": [
                {"role": "user", "content": "Hvem vant i 2022?"},
                {"role": "assistant", "content": "Melhus."},
            ],
        },
    ]
    write_lines(path, rows)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # a Windows editor's byte order mark
    a, b = load_questions(path)
    assert a.expected == ("Melhus",) and a.answerable
    assert a.tags == {"type": "hvem", "doc": "d1", "style": "direkte", "tema": "pris"}
    assert not b.answerable and b.expected == () and b.evidence is None
    assert b.history == (Turn("user", "Hvem vant i 2022?"), Turn("assistant", "Melhus."))


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('{"id": "x", "question": "Hva?", "expected": ["a"]', "ikke gyldig JSON"),
        ('["id", "question"]', "ikke et JSON-objekt"),
        ('{"id": "x", "expected": ["a"]}', "mangler feltet «question»"),
        ('{"question": "Hva?", "expected": ["a"]}', "mangler feltet «id»"),
        ('{"id": "x", "question": "Hva?", "expected": [1, 2]}', "«expected» må være en liste"),
        (
            '{"id": "x", "question": "Hva?", "expected": ["a"], "answerable": "false"}',
            "true eller false",
        ),
        ('{"id": "x", "question": "Hva?"}', "verken «expected», «expected_all» eller «evidence»"),
        (
            '{"id": "x", "question": "Hva?", "expected": ["a"], "history": [{"role": "bot"}]}',
            "«history»",
        ),
        ('{"id": "q1", "question": "Igjen?", "expected": ["a"]}', "id «q1» er brukt før (linje 1)"),
    ],
)
def test_malformed_line_is_named_by_file_and_line(tmp_path: Path, line: str, words: str) -> None:
    path = write_lines(
        tmp_path / "mine.jsonl", [{"id": "q1", "question": "Hva?", "expected": ["a"]}, line]
    )
    with pytest.raises(QuestionFileError) as err:
        load_questions(path)
    assert f"{path}, linje 2" in err.value.message
    assert words in err.value.message


def test_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(QuestionFileError, match="finnes ikke"):
        load_questions(tmp_path / "nope.jsonl")
    empty = write_lines(tmp_path / "empty.jsonl", [""])
    with pytest.raises(QuestionFileError, match="ingen spørsmål"):
        load_questions(empty)
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(
        '{"id": "x", "question": "Hvor mange får støtte?", "expected": ["a"]}\n'.encode("latin-1")
    )
    with pytest.raises(QuestionFileError, match="UTF-8"):
        load_questions(latin1)
    one = write_lines(tmp_path / "one.jsonl", [{"id": "x", "question": "Hva?", "expected": ["a"]}])
    two = write_lines(tmp_path / "two.jsonl", [{"id": "x", "question": "Hvem?", "expected": ["b"]}])
    with pytest.raises(QuestionFileError, match="finnes også i"):
        load_question_files([one, two])


def test_cli_reports_a_malformed_file_in_norwegian(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(
        tmp_path / "mine.jsonl", [{"id": "q1", "question": "Hva?", "expected": ["a"]}, "{oops"]
    )
    assert main(["eval", "--questions", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "Feil: Spørsmålsfilen" in err and f"{path}, linje 2" in err
    assert "Traceback" not in err and not (tmp_path / "r").exists()


def test_known_facts_cover_the_corpus() -> None:
    questions = load_questions(KNOWN_FACTS)
    answerable = [q for q in questions if q.answerable]
    assert len(answerable) >= 120 and len(questions) - len(answerable) >= 25
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    texts = {
        d["doc_id"]: (CORPUS / d["file"]).read_text(encoding="utf-8") for d in manifest["documents"]
    }
    assert {q.tags.get("doc") for q in questions} == set(texts)
    from eval.questions import contains

    for q in questions:
        assert q.tags.get("type") and q.tags.get("style"), q.id
        if q.answerable:
            assert (q.expected or q.expected_all) and q.evidence, q.id
            # the evidence is quoted from the document the question is tagged with
            assert contains(texts[q.tags["doc"]], q.evidence), q.id
            if q.expected:
                assert any(contains(texts[q.tags["doc"]], e) for e in q.expected), q.id
            assert all(contains(texts[q.tags["doc"]], e) for e in q.expected_all), q.id


def test_every_evidence_phrase_can_be_cited(hash_index: Settings) -> None:
    """Evidence is looked for in the text of the answer's citations, and a chunk's headings
    are not part of its text: a phrase that stands only in a heading could never be found.
    It must stand in a chunk of the document the question is tagged with."""
    from assistant.service import Assistant
    from eval.questions import contains

    a = Assistant(hash_index)
    a.load()
    for q in load_questions(KNOWN_FACTS):
        if q.evidence:
            own = [c for c in a.index.chunks if c.doc_id == q.tags["doc"]]
            assert any(contains(c.text, q.evidence) for c in own), q.id


# -- scoring ---------------------------------------------------------------------------------
def answer(text: str, found: bool = True, passages: tuple[str, ...] = ()) -> dict:
    return {
        "answer": text,
        "found": found,
        "mode": "extractive",
        "citations": [{"n": i, "text": t} for i, t in enumerate(passages, start=1)],
    }


def test_matching_forgives_case_width_dashes_and_spacing() -> None:
    q = EvalQuestion(
        "q", "Hvilken periode?", expected=("Fase 1: 2019–2020",), evidence="Fase 1  FORBEREDELSE"
    )
    text = "FASE 1: ２０１９‐2020 [1]."  # full-width digits, another dash, other case
    r = score(q, answer(text, passages=("x", "fase 1\nforberedelse og oppstart")), 3.0)
    assert r.passed and r.matched == "Fase 1: 2019–2020" and r.evidence_citation == 2
    assert not score(q, answer("Fase 1: 2019 2020"), 3.0).passed


def test_every_failure_reason_is_given() -> None:
    q = EvalQuestion("q", "Hvor mange?", expected=("965",), evidence="965 abonnenter")
    r = score(q, answer("Det var mange [1].", passages=("ingen tall her",)), 1.0)
    assert not r.passed and r.evidence_found is False
    assert "forventet svar mangler" in r.reason and "ingen kilde inneholder beviset" in r.reason
    assert not score(q, answer("965", found=False, passages=("965 abonnenter",)), 1.0).passed
    unanswerable = EvalQuestion("u", "Hvem vant i 2019?", answerable=False)
    assert score(unanswerable, answer("Ikke funnet.", found=False), 1.0).passed
    assert "ikke svarer på" in score(unanswerable, answer("Melhus [1]."), 1.0).reason


def test_a_list_passes_only_whole_and_a_cut_list_counts_as_partial() -> None:
    q = EvalQuestion(
        "l",
        "Hvilke fem innsatsområder?",
        expected_all=("Mat og måltider", "Helsehjelp", "Et aldersvennlig Norge"),
    )
    whole = score(q, answer("1. Et aldersvennlig Norge 2. Mat og måltider 3. Helsehjelp [1]"), 1.0)
    assert whole.passed and not whole.partial and whole.missing == []
    cut = score(q, answer("1. Et aldersvennlig Norge [1]"), 1.0)
    assert not cut.passed and cut.partial
    assert cut.missing == ["Mat og måltider", "Helsehjelp"]
    assert "listen er ikke hel" in cut.reason and "«Helsehjelp»" in cut.reason
    none = score(q, answer("Noe annet [1]."), 1.0)
    assert not none.passed and not none.partial and "ingen av de forventede" in none.reason
    refused = score(q, answer("Fant ikke svaret.", found=False), 1.0)
    assert not refused.partial and refused.missing == []

    s = summarize([whole, cut, none])
    assert (s["list_questions"], s["partial"], s["answer_accuracy"]) == (3, 1, 0.3333)


def test_expected_all_is_read_from_a_question_file(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "lister.jsonl",
        [{"id": "l1", "question": "Hvilke språk?", "expected_all": ["engelsk", "nordsamisk"]}],
    )
    (q,) = load_questions(path)
    assert q.expected_all == ("engelsk", "nordsamisk") and q.expected == ()
    bad = write_lines(tmp_path / "feil.jsonl", [{"id": "l1", "question": "?", "expected_all": [1]}])
    with pytest.raises(QuestionFileError, match="«expected_all» må være en liste"):
        load_questions(bad)


def test_summary_counts_and_errors_count_as_failures() -> None:
    class Scripted:
        def ask(self, q: EvalQuestion) -> dict:
            if q.id == "err":
                raise AnswerError("tjenesten svarte med HTTP 500")
            return answer("Svaret er 965 [1].", found=q.answerable, passages=("965 abonnenter",))

    qs = [
        EvalQuestion("ok", "a?", expected=("965",), evidence="965"),
        EvalQuestion("miss", "b?", expected=("12",)),
        EvalQuestion("err", "c?", answerable=False),
        EvalQuestion("ref", "d?", answerable=False),
    ]
    results = run(Scripted(), qs)
    err = next(r for r in results if r.id == "err")
    assert not err.passed and err.error and err.reason.startswith("feil:")
    s = summarize(results)
    assert set(CONTRACT_SUMMARY) <= set(s)
    assert (s["answer_accuracy"], s["refusal_accuracy"], s["evidence_recall"]) == (0.5, 0.5, 1.0)
    assert (
        s["false_answer_rate"] == 0.0
        and s["errors"] == 1
        and s["answer_chars_median"] == len("Svaret er 965 [1].")
    )


# -- the HTTP target, with the transport as the seam -----------------------------------------
def test_http_target_posts_question_history_and_handles_errors() -> None:
    seen: list[dict] = []
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"ready": True, "mode": "extractive"})
        body = json.loads(request.content)
        seen.append(body)
        calls["n"] += 1
        if body["question"] == "for lang":
            return httpx.Response(
                400,
                json={"error": {"code": "ugyldig_sporsmal", "message": "Spørsmålet er for langt."}},
            )
        if calls["n"] == 1:
            return httpx.Response(
                429, headers={"Retry-After": "0"}, json={"error": {"code": "x", "message": "vent"}}
            )
        return httpx.Response(200, json=answer("Melhus [1].", passages=("Melhus kommune",)))

    q = EvalQuestion(
        "q",
        "Og året før?",
        expected=("Melhus",),
        history=(Turn("user", "Hvem vant?"), Turn("assistant", "Melhus.")),
    )
    with HttpTarget("http://svc.test/", transport=httpx.MockTransport(handler)) as target:
        assert target.wait_ready()["mode"] == "extractive"
        results = run(target, [q, EvalQuestion("long", "for lang", expected=("x",))])
    assert results[0].passed and seen[0] == seen[1]  # retried after the 429
    assert seen[0]["history"] == [
        {"role": "user", "content": "Hvem vant?"},
        {"role": "assistant", "content": "Melhus."},
    ]
    assert "mode" not in seen[0]
    assert results[1].reason == "feil: Spørsmålet er for langt. (HTTP 400)"


def test_http_target_stops_when_service_is_down_or_failed() -> None:
    with HttpTarget("http://127.0.0.1:9", timeout_s=2) as target:  # discard port: nothing listens
        with pytest.raises(ServiceUnavailable) as down:
            target.ask(EvalQuestion("q", "Hva?", expected=("a",)))
    assert "Får ikke kontakt med tjenesten på http://127.0.0.1:9" in down.value.message

    def failed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503,
            json={
                "ready": False,
                "state": "failed",
                "error": {"code": "x", "message": "Indeksen er ødelagt."},
            },
        )

    with HttpTarget("http://svc.test", transport=httpx.MockTransport(failed)) as target:
        with pytest.raises(ServiceUnavailable) as failed_start:
            target.wait_ready(timeout_s=30)
    assert "Indeksen er ødelagt" in failed_start.value.message


# -- the command, in process -----------------------------------------------------------------
def eval_args(*argv: str):  # noqa: ANN201 - argparse.Namespace
    return build_parser().parse_args(["eval", *argv])


def test_in_process_run_writes_contract_reports(hash_index: Settings, tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "q.jsonl",
        [
            {
                "id": "p1",
                "question": "Hvilken kommune fikk Leve hele livet-prisen for 2022?",
                "expected": ["Melhus"],
                "evidence": "Melhus",
                "type": "hvem",
                "doc": "arsrapport-2022-kap-2-4",
            },
            {
                "id": "p2",
                "question": "Hvor mange abonnenter hadde nyhetsbrevet?",
                "expected": ["965"],
                "history": [{"role": "user", "content": "Fortell om nyhetsbrevet."}],
            },
            {"id": "u1", "question": "Hva er fargen på månens katt i 1850?", "answerable": False},
        ],
    )
    out = tmp_path / "r"
    assert run_eval_command(eval_args("--questions", str(path), "--out", str(out)), hash_index) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(CONTRACT_SUMMARY) <= set(report["summary"])
    assert report["summary"]["questions"] == 3 and report["summary"]["unanswerable"] == 1
    results = report["results"]
    assert all(set(CONTRACT_RESULT) <= set(r) for r in results)
    assert [r["passed"] for r in results] == sorted(r["passed"] for r in results)  # failures first
    assert report["meta"]["target"] == "i prosess" and report["meta"]["embeddings"]
    assert {g["value"] for g in report["breakdowns"]["type"]} == {"hvem", "(uten)"}
    accuracy = report["summary"]["answer_accuracy"]
    assert accuracy == round(sum(r["passed"] for r in results if r["answerable"]) / 2, 4)
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# Evalueringsrapport")
    assert '<html lang="nb">' in (out / "report.html").read_text(encoding="utf-8")
    # --min-accuracy turns a low figure into exit 1
    assert (
        run_eval_command(
            eval_args("--questions", str(path), "--out", str(out), "--min-accuracy", "1.01"),
            hash_index,
        )
        == 1
    )


def test_generative_mode_needs_a_model(hash_index: Settings, tmp_path: Path) -> None:
    from eval.cli import EvalUsageError

    with pytest.raises(EvalUsageError) as err:
        run_eval_command(eval_args("--mode", "generative", "--out", str(tmp_path)), hash_index)
    assert "LHL_LLM_BASE_URL" in err.value.message


def test_norquad_flag_builds_its_own_index(tmp_path: Path) -> None:
    data = tmp_path / "nq"
    data.mkdir()
    passages = [
        {
            "id": "p-fjord",
            "title": "Fjorden",
            "text": "Fjorden\nGeirangerfjorden er 15 kilometer lang og ligger i Møre og Romsdal.",
        },
        {
            "id": "p-bro",
            "title": "Brua",
            "text": "Brua\nStorseisundbrua ble åpnet i 1989 på Atlanterhavsveien.",
        },
        {
            "id": "p-fugl",
            "title": "Fuglen",
            "text": "Fuglen\nLunden hekker i store kolonier på Røst hver sommer.",
        },
    ]
    questions = [
        {
            "id": "n1",
            "question": "Hvor lang er Geirangerfjorden?",
            "answers": ["15 kilometer"],
            "passage_id": "p-fjord",
            "split": "test",
        },
        {
            "id": "n2",
            "question": "Når ble Storseisundbrua åpnet?",
            "answers": ["1989"],
            "passage_id": "p-bro",
            "split": "test",
        },
        {
            "id": "n3",
            "question": "Hvor hekker lunden?",
            "answers": ["Røst"],
            "passage_id": "p-fugl",
            "split": "validation",
        },
    ]
    write_lines(data / "passages.jsonl", passages)
    write_lines(data / "questions.jsonl", questions)
    settings = make_settings(tmp_path / "main")
    out = tmp_path / "out"
    assert (
        run_eval_command(
            eval_args("--norquad", str(data), "--split", "test", "--out", str(out)), settings
        )
        == 0
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert sorted(r["id"] for r in report["results"]) == ["n1", "n2"]
    assert {"recall_at_1", "recall_at_5", "mrr"} <= set(report["summary"])
    assert not settings.index_dir.exists()  # the main index is never touched
    from eval.cli import EvalUsageError

    with pytest.raises(EvalUsageError) as err:
        run_eval_command(eval_args("--norquad", str(tmp_path)), settings)
    assert "passages.jsonl" in err.value.message
