"""`lhl eval`, in process: reports in the contract's shape, the generative mode's model, and
NorQuAD with an index of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_files import CONTRACT_RESULT, CONTRACT_SUMMARY, write_lines

from cli.main import build_parser
from eval.cli import run_eval_command
from lhl.settings import Settings
from tests.conftest import make_settings


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


def _write_norquad_set(data: Path) -> None:
    """A NorQuAD-shaped set of three passages: two test questions, one validation."""
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


def test_norquad_flag_builds_its_own_index(tmp_path: Path) -> None:
    data = tmp_path / "nq"
    _write_norquad_set(data)
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
