"""The evaluators' question files: fields, errors named by file and line, and the known facts
themselves (they cover the corpus, and every evidence phrase can be cited).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_files import write_lines

from cli.main import main
from eval.questions import KNOWN_FACTS, QuestionFileError, load_question_files, load_questions
from lhl.records import Turn
from lhl.settings import Settings
from tests.conftest import CORPUS


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
