"""Norwegian text analysis shared by the lexical index, the answerer and the eval matcher."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"[0-9]+(?:[.,:][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)

# Bokmål and nynorsk function words. Kept small: question words matter to the answerer,
# so they are stopwords only for ranking.
STOPWORDS = frozenset(
    """
    og i på av for til med er som det en et den de å at har ikkje ikke om fra frå var vil kan
    skal seg sin sitt sine han hun ho hen vi dei dere deres oss meg deg du jeg eg eit ein
    der da då så men eller enn også òg bare berre alle alt andre annen anna noen nokon noe noko
    hva kva hvem kven hvor kor hvilke hvilken hvilket kva for når hvordan korleis hvorfor
    kvifor mange mykje mye blir ble vart vert bli blitt være vere vært vore har hadde hatt
    sitter står etter under over ved mot hos inn ut opp ned dette denne disse desse slik
    sånn mer meir mest mellom gjennom før uten utan kun ingen inga både hver kvar hele heile
    hos seg selv sjølv man
    """.split()
)


def normalize(text: str) -> str:
    """Case-insensitive match form: NFKC, lower case, dashes read as '-', whitespace folded."""
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("norwegian")


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens (hyphenated words kept whole and split)."""
    out: list[str] = []
    for tok in _TOKEN.findall(normalize(text)):
        out.append(tok)
        if "-" in tok:
            out.extend(p for p in tok.split("-") if p)
    return out


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    return _stemmer().stemWord(token) if not token[0].isdigit() else token


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Stemmed index terms; stopwords dropped unless asked for."""
    return [stem(t) for t in tokens(text) if keep_stopwords or t not in STOPWORDS]


_ABBREVIATIONS = (
    "bl.a.", "f.eks.", "pga.", "mht.", "ca.", "jf.", "dvs.", "mv.", "evt.", "nr.", "kap.",
    "inkl.", "ift.", "osv.", "st.", "meld.", "innst.", "t.o.m.", "o.l.", "m.m.", "m.fl.",
    "ref.", "prof.", "dr.", "pr.", "kl.", "jan.", "feb.", "des.", "okt.", "nov.", "sep.",
)
_SENT_END = re.compile(r"(?<=[.!?»\"”])\s+(?=[«\"“(]?[A-ZÆØÅ0-9–-])|\n+")


def sentences(text: str) -> list[str]:
    """Split text into sentences, respecting common Norwegian abbreviations and numbers."""
    parts: list[str] = []
    for piece in _SENT_END.split(text):
        piece = piece.strip()
        if not piece:
            continue
        if parts and _ends_with_abbreviation(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts


def _ends_with_abbreviation(sentence: str) -> bool:
    if sentence.endswith("\n"):
        return False
    last = sentence.rsplit(" ", 1)[-1].lower()
    return last in _ABBREVIATIONS or bool(re.fullmatch(r"[a-zæøå]\.|\d+\.", last))
