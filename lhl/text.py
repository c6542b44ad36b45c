"""Norwegian text analysis shared by the lexical index, the answerer and the eval matcher."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer

from lhl.lexicon import STOPWORDS

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"[0-9]+(?:[.,:][0-9]+)*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


CACHED_CHARS = 1000  # longer texts (passages joined for a lookup) would crowd the cache


def normalize(text: str) -> str:
    """Case-insensitive match form: NFKC, lower case, dashes read as '-', whitespace folded.
    Sentences and headings are cached: the answerer normalizes the same ones again and again."""
    return _normalize_short(text) if len(text) <= CACHED_CHARS else _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).lower()
    return _WS.sub(" ", text).strip()


_normalize_short = lru_cache(maxsize=16384)(_normalize)


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


# A list item's mark: a bullet or dash, or "1." / "1)" (the number is group 1).
BULLET = re.compile(r"^(?:[-*•▪◦●‣–]|(\d{1,2})[.)])\s+")
_LEADING_MARKS = re.compile(r"^[•▪◦●‣*–\-«\"\s]+")


def heading_terms(text: str) -> tuple[str, ...]:
    """Every term of a heading or a sentence's opening, stopwords kept, list marks and
    quotes before it ignored: what `opens_with` compares."""
    return tuple(terms(_LEADING_MARKS.sub("", text), keep_stopwords=True))


def opens_with(head: Sequence[str], text: str) -> bool:
    """Whether the text begins with the terms `head` ("Fase 3 Implementering …" with
    ("fas", "3")); never for an empty head."""
    return bool(head) and heading_terms(text)[: len(head)] == tuple(head)


_ABBREVIATIONS = frozenset(
    """
    bl.a. f.eks. pga. p.g.a. mht. m.h.t. ca. jf. jfr. dvs. d.v.s. mv. m.v. evt. ev. nr. kap. inkl.
    ift. i.f.t. iflg. osv. o.s.v. st. meld. innst. prop. t.o.m. f.o.m. o.l. m.m. m.fl. mfl. ref.
    prof. dr. pr. kl. tlf. mill. mrd. kr. ekskl. hhv. resp. etc. vs. fhv. adm. dir. gen. sr. jr.
    mr. mrs. ms. nov. des. okt. sep. sept. aug. feb. jan. apr. jun. jul. mar. f.kr. e.kr. e.m.
    f.m. ang. sml. bd. s. ff. div. el. eks. kgl. o.a. m.a. a.s. as. asa. jr. fv. rv. ev. ifr.
    """.split()
)
# A sentence ends at . ! ? … (or a closing quote after one) followed by space and a capital,
# a digit, an opening quote or a dash (Norwegian quotes open with –), or at a line break.
_SENT_END = re.compile(r"(?<=[.!?…»\"”)])\s+(?=[«\"“(\[]?[A-ZÆØÅ0-9–—-])|\s*\n\s*")
_INITIAL = re.compile(r"(?:[A-ZÆØÅ]\.)+|[A-ZÆØÅ][a-zæøå]?\.")
_ORDINAL = re.compile(r"\d{1,2}\.")


def sentences(text: str) -> list[str]:
    """Split text into sentences: line breaks always end one; full stops do unless they end
    a known abbreviation, an initial ("J. R."), or a day-of-month style ordinal ("17.")."""
    parts: list[str] = []
    joinable = False
    for piece in _SENT_END.split(text):
        if piece is None:
            continue
        piece = piece.strip()
        if not piece:
            continue
        if parts and joinable:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
        joinable = _ends_with_abbreviation(parts[-1])
    return parts


def _ends_with_abbreviation(sentence: str) -> bool:
    if not sentence.endswith("."):
        return False
    last = sentence.rsplit(" ", 1)[-1]
    if last.lower().lstrip('(«"') in _ABBREVIATIONS:
        return True
    return bool(_INITIAL.fullmatch(last) or _ORDINAL.fullmatch(last))
