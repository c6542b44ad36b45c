"""The verifier's model card (models/decision/MODEL_CARD.md), from decision.json and the
known-facts report (its calibration on the development set):

    .venv/bin/python -m training.decision_card
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.fit_decision import OUT, ROOT

BINS = (0.0, 0.2, 0.4, 0.6, 0.8)


def _weights(model: dict[str, Any], top: int = 8) -> str:
    pairs = sorted(zip(model["names"], model["coef"], strict=True), key=lambda p: -abs(p[1]))
    return ", ".join(f"`{n}` {c:+.2f}" for n, c in pairs[:top])


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| sikkerhet | spørsmål | snitt sikkerhet | riktige |", "|---|---:|---:|---:|"]
    lines += [
        f"| {r['from']:.1f}–{r['to']:.1f} | {r['questions']} | {r['mean_confidence']} | {r['right']} |"
        for r in rows
    ]
    return "\n".join(lines)


def development_reliability(report: Path) -> list[dict[str, Any]]:
    """On the known facts: per confidence bin, how often the answer given was right (an
    answered unanswerable question is wrong). Refusals are left out."""
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    given = [r for r in results if r["found"] and r.get("confidence") is not None]
    out = []
    for lo in BINS:
        hi = lo + 0.2
        inside = [
            r
            for r in given
            if lo <= r["confidence"] < hi or (lo == BINS[-1] and r["confidence"] >= hi)
        ]
        if inside:
            out.append(
                {
                    "from": lo,
                    "to": round(hi, 1),
                    "questions": len(inside),
                    "mean_confidence": round(sum(r["confidence"] for r in inside) / len(inside), 3),
                    "right": round(
                        sum(r["answerable"] and r["passed"] for r in inside) / len(inside), 3
                    ),
                }
            )
    return out


# The card's fixed text: what the verifier is, its data, and the learned choice that was
# tried and not used.
INTRO = [
    "# Verifikatoren (models/decision/)",
    "",
    "Hvor sikkert et svar er: `confidence` i Answer-objektet, sannsynligheten for at svarets",
    "første setning svarer på spørsmålet. En logistisk regresjon over den valgte setningens",
    "inndata (leksikalske trekk, søkets rang og poeng, spørsmålets krav, leserens marginer) og",
    "hvor langt den leder over nestbeste (`assistant/decide.py`); én når leseren har lest",
    "avsnittene, én for svaret uten leser. Nettpraten og Teams-kortet merker et svar under 0,5",
    "som «Usikkert svar». Bygges av `make train-decision` (etter `make train-reader`).",
    "",
    "Hvilken setning som svarer og når assistenten avviser, avgjøres av reglene i",
    "`assistant/rules.py`. En lært erstatning for dem ble bygd og målt (se under); den slo ikke",
    "reglene og er ikke tatt i bruk.",
    "",
    "## Data (bare trening)",
]
DATA_NOTES = [
    "- Hverdagsspørsmålene (`training/everyday/`) til et dokument er lest av en leser trent",
    "  *uten* det dokumentets spørsmål, så modellen lærer av marginer slik et nytt spørsmål får dem.",
    "- NorQuADs holdt-ute treningsartikler (`training/heldout.py`), som ingen leser har trent på.",
    "- Hvert spørsmål besvares av svarsteget slik tjenesten gjør det; beste kandidat er 1 når den",
    "  er svarsetningen (NorQuAD: holder svaret).",
    "- Kjente fakta (`eval/known_facts.jsonl`) er utviklingssettet; NorQuAD test er aldri brukt.",
    "",
    "## Tilpasning og kalibrering",
]
TRIED_AND_LICENCE = [
    "## Prøvd og ikke tatt i bruk: et lært svarvalg (2026-12-06)",
    "",
    "En logistisk rangerer over hver kandidatsetning (de samme inndataene som over, pluss",
    "søkets ranger og leserens marginer), med en verifikator for avvisning og terskel satt på",
    "kjente fakta for en gitt presisjon, tilpasset på de samme treningsdataene. En listevis",
    "variant (softmax over [ingen, kandidat 1 … n]) ga nesten det samme (beste kandidat riktig",
    "utenfor fold 0,736 mot 0,730).",
    "",
    "| sett | reglene (`assistant/rules.py`) | lært, aldri avvise | lært, terskel for presisjon 0,80 |",
    "|---|---|---|---|",
    "| kjente fakta (svar / avvisning) | 0,804 / 0,809 | 0,748 / 0 | 0,652 / 0,787 |",
    "| Trøndelag-planens hverdagsspørsmål, leser uten dem (svar / avvisning) | 0,640 / 0,394 | 0,643 / 0 | 0,548 / 0,688 (terskel 0,30) |",
    "",
    "Reglene er tunet på kjente fakta kf001–kf253, så de har en fordel der; på spørsmål ingen",
    "av delene har sett, svarer de like ofte riktig, men avviser langt sjeldnere. Det lærte",
    "valget slo dem ikke noe sted på svarnøyaktighet, og brukerne klaget mest over avvisninger",
    "av spørsmål dokumentene svarer på; derfor velger og avviser reglene, og det lærte gir",
    "sikkerheten. Koden for forsøket ligger i git-historien (`training/fit_decision.py`,",
    "2026-12-06).",
    "",
    "## Lisens",
    "Tilpasset på prosjektets egne spørsmål og NorQuAD (CC0 1.0); vektene deles som koden.",
    "",
]


def card(d: dict[str, Any], report: Path) -> str:
    meta = d["meta"]
    fit = meta.get("fit", {})
    parts = [
        *INTRO,
        f"- Spørsmål: {json.dumps(meta.get('data', {}), ensure_ascii=False)}.",
        *DATA_NOTES,
    ]
    for key, label in (("reader", "Med leser"), ("lexical", "Uten leser")):
        f = fit.get(key, {})
        parts += [
            f"### {label}",
            f"{len(d[key]['names'])} inndata, standardisert; C = {f.get('C')} valgt med gruppert 5-delt",
            f"kryssvalidering (log loss {f.get('cv_log_loss', {}).get(str(f.get('C')), f.get('cv_log_loss', {}).get(f.get('C')))});",
            f"{f.get('rows')} spørsmål, beste kandidat riktig i {f.get('best_is_right')} av dem.",
            f"Tyngste vekter: {_weights(d[key])}.",
            "",
            "Utenfor-fold (trening):",
            "",
            _table(f.get("out_of_fold_reliability", [])),
            "",
        ]
    if report.exists():
        parts += [
            "### På utviklingssettet (kjente fakta, med leser; svar som ble gitt)",
            "",
            _table(development_reliability(report)),
            "",
        ]
    parts += TRIED_AND_LICENCE
    return "\n".join(parts)


def main() -> int:
    d = json.loads(OUT.read_text(encoding="utf-8"))
    path = OUT.parent / "MODEL_CARD.md"
    path.write_text(card(d, ROOT / "reports" / "known-facts" / "report.json"), encoding="utf-8")
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
