"""The reader's engines (assistant/reader.py): the committed ONNX export reads as PyTorch does,
within a stated tolerance, and the reader falls back to PyTorch when the export is missing,
stale or not wanted. Loads the committed model; never trains or exports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant import reader as reader_module
from assistant.reader import DEFAULT_DIR, ONNX_NAME, Reader, Reading
from lhl.records import Chunk, Passage

pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.skipif(
    not (DEFAULT_DIR / ONNX_NAME).exists(), reason="models/reader/reader.onnx not exported"
)

# int8 against PyTorch over 1,585 known-facts windows and 864 NorQuAD held-out windows
# (docs/reader-engine.md): largest difference ~1.3 logits, mean ~0.1.
MARGIN_TOLERANCE = 1.5

ARTICLE = [
    "Bygda har fått ny lege etter to år uten fast legedekning.",
    "Den nye kommuneoverlegen heter Kari Nordmann og kommer fra Bergen.",
    "Hun begynner i stillingen 1. mars, opplyser ordføreren.",
    "Kommunen har brukt vikarer siden 2021.",
]
OTHER = [
    "Leve hele livet er en kvalitetsreform for eldre.",
    "Reformen skal bidra til at eldre kan mestre livet lenger.",
    "Kommunene planlegger selv hvordan de vil gjennomføre reformen.",
]
READINGS = [
    ("Hva heter den nye kommuneoverlegen?", 1),
    ("Når begynner den nye legen?", 2),
    ("Hvor lenge har kommunen brukt vikarer?", 3),
]


def _passage(units: Sequence[str], heading: str, pid: str) -> Passage:
    chunk = Chunk(pid, "doc", "Lokalavisa", "corpus/a.txt", heading, None, 0, " ".join(units))
    return Passage(chunk, 1.0)


def _read(reader: Reader, question: str) -> list[Reading]:
    passages = [_passage(ARTICLE, "Ny lege i bygda", "c1"), _passage(OTHER, "Om reformen", "c2")]
    return reader.read(question, passages, [ARTICLE, OTHER])


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reader-cache")


@pytest.fixture(scope="module")
def torch_reader(cache: Path) -> Reader:
    r = Reader(threads=1, cache_dir=cache, engine="torch")
    r.load()
    return r


@pytest.fixture(scope="module")
def onnx_reader(cache: Path) -> Reader:
    r = Reader(threads=1, cache_dir=cache, engine="onnx")
    r.load()
    return r


def test_the_export_is_used_when_it_is_there(onnx_reader: Reader, torch_reader: Reader) -> None:
    assert onnx_reader.engine == "onnx" and onnx_reader.engine_note == ""
    assert "int8" in onnx_reader.instruction_set
    assert torch_reader.engine == "torch"
    assert torch_reader.instruction_set.endswith(("bf16", "fp32"))


@pytest.mark.parametrize(("question", "answer_unit"), READINGS)
def test_the_engines_read_alike(
    onnx_reader: Reader, torch_reader: Reader, question: str, answer_unit: int
) -> None:
    """Every unit's margin within MARGIN_TOLERANCE, the same best unit and the same side of
    "no answer" in each passage, and the span in the same unit."""
    by_onnx, by_torch = _read(onnx_reader, question), _read(torch_reader, question)
    for got, want in zip(by_onnx, by_torch, strict=True):
        assert got.units == pytest.approx(want.units, abs=MARGIN_TOLERANCE)
        assert abs(got.null - want.null) <= MARGIN_TOLERANCE
        best = max(range(len(want.units)), key=want.units.__getitem__)
        assert max(range(len(got.units)), key=got.units.__getitem__) == best
        assert (max(got.units) > 0) == (max(want.units) > 0)
    assert max(range(len(ARTICLE)), key=by_onnx[0].units.__getitem__) == answer_unit
    assert by_onnx[0].units[answer_unit] > 0
    assert by_onnx[0].unit_of_span() == by_torch[0].unit_of_span() == answer_unit
    assert max(by_onnx[1].units) < 0  # the other passage does not answer


def _model_copy(tmp_path: Path, with_onnx: bool) -> Path:
    """models/reader/ as links (the 36 MB weights are not copied)."""
    names = ["config.json", "reader.safetensors"] + ([ONNX_NAME] if with_onnx else [])
    for name in names:
        (tmp_path / name).symlink_to(DEFAULT_DIR / name)
    return tmp_path


def test_without_the_export_it_reads_with_pytorch(
    tmp_path: Path, cache: Path, torch_reader: Reader
) -> None:
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    _model_copy(model_dir, with_onnx=False)
    r = Reader(model_dir, threads=1, cache_dir=cache)
    r.load()
    assert r.engine == "torch" and ONNX_NAME in r.engine_note
    question = READINGS[0][0]
    assert _read(r, question)[0].units == pytest.approx(_read(torch_reader, question)[0].units)
    with pytest.raises(RuntimeError, match="LHL_READER_ENGINE=onnx"):
        Reader(model_dir, threads=1, cache_dir=cache, engine="onnx").load()


def test_a_stale_export_is_not_used(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export made from other weights (a retrained reader not yet exported) is ignored."""
    monkeypatch.setattr(reader_module, "weights_hash", lambda _dir: "0" * 64)
    r = Reader(threads=1, cache_dir=cache)
    r.load()
    assert r.engine == "torch" and "other weights" in r.engine_note


def test_the_setting_forces_pytorch(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LHL_READER_ENGINE", "torch")
    r = Reader(threads=1, cache_dir=cache)
    r.load()
    assert r.engine == "torch"
    monkeypatch.setenv("LHL_READER_ENGINE", "gpu")
    with pytest.raises(ValueError, match="LHL_READER_ENGINE"):
        Reader()


def test_a_damaged_export_falls_back(tmp_path: Path, cache: Path) -> None:
    model_dir = tmp_path / "m"
    model_dir.mkdir()
    _model_copy(model_dir, with_onnx=False)
    (model_dir / ONNX_NAME).write_bytes(b"not a model")
    r = Reader(model_dir, threads=1, cache_dir=cache)
    r.load()
    assert r.engine == "torch" and "cannot be loaded" in r.engine_note


def test_the_service_setting_is_checked() -> None:
    from lhl.settings import Settings

    assert Settings(_env_file=None, reader_engine=" ONNX ").reader_engine == "onnx"  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="LHL_READER_ENGINE"):
        Settings(_env_file=None, reader_engine="gpu")  # type: ignore[call-arg]
