"""Question analysis: what kind of answer is asked for, and what the answer must mention.

The type decides what an answering sentence should contain (a number, a date, a name, a
place, a reason); the constraints (years, numbers, names, the focus noun after "hvor mange"
or "hvilken") decide when the evidence does not cover the question and we must refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from lhl.lexicon import QUESTION_WORDS, STOPWORDS, WRITTEN_OUT, asked_years
from lhl.text import normalize, stem, terms, tokens

QuestionType = Literal[
    "antall", "dato", "hvem", "navn", "liste", "definisjon", "hvorfor", "hvordan", "hvor", "annet"
]

# Nouns after "hvilken/hvilket/hvilke/kva for" that ask for a time, a place or a body.
_TIME_NOUNS = r"år|årstall|dato|tidspunkt|måned|månad|dag|tid|tiår|århundre|periode|sesong|uke|veke"
_PLACE_NOUNS = (
    r"land|by|byen|sted|stad|region|del|område|verdensdel|kontinent|"
    r"hav|elv|øy|dal|fjord|gate|adresse|bydel|delstat|provins|nasjon|havn|hamn"
)
# "Hvilken kommune vant?" asks for a body; "I hvilken kommune ligger …?" for a place.
_BODY_PLACES = r"fylke|fylket|kommune|kommuner|kommunen"
_AGENT_NOUNS = (
    r"person|personer|mann|kvinne|spiller|spillere|lag|klubb|klubben|parti|partiet|organisasjon|"
    r"organisasjoner|selskap|firma|byrå|aktør|aktører|etat|direktorat|departement|instans|"
    r"institusjon|institusjoner|forening|forbund|band|gruppe|trener|leder|forfatter|konge|"
    r"dronning|president|statsminister|kunstner|artist|politiker|minister|familie|dynasti|"
    r"kommune|kommuner|fylke|land"
)

# Ordered: the first pattern that matches decides. Patterns see the normalised question.
_TYPE_PATTERNS: list[tuple[QuestionType, re.Pattern[str]]] = [
    (
        "antall",
        re.compile(
            r"\b(hvor|kor)\s+(mange|mye|mykje|stor|store|stort|høy|høyt|høg|lang|langt|lenge|gammel|"
            r"gamle|mange prosent|tung|bred|dyp|djup|ofte|fort|raskt|langt)\b|\bantall\b|"
            r"\bhvilken (alder|størrelse|pris\s+(?:kostet|koster))\b|\bhva (kostet|koster)\b"
        ),
    ),
    (
        "dato",
        re.compile(
            rf"\b(når|kva tid|kor tid|fra når|siden når|til når|årstall)\b|"
            rf"\b(hvilket|hvilken|hvilke|kva for eit?|kva)\s+({_TIME_NOUNS})\b"
        ),
    ),
    (
        "hvorfor",
        re.compile(
            r"\b(hvorfor|kvifor|av hvilken grunn|hva er (?:formålet|hensikten|grunnen|årsaken|bakgrunnen)|"
            r"kva er (?:formålet|føremålet|grunnen|årsaka)|hvilken hensikt|hva skyldes|hva kommer .* av)\b"
        ),
    ),
    ("hvordan", re.compile(r"\b(hvordan|korleis|på hvilken måte|på kva måte)\b")),
    (
        "hvor",
        re.compile(
            rf"^\s*(i|på|fra|til|ved)?\s*(hvilket|hvilken|hvilke|kva for eit?)\s+({_PLACE_NOUNS})\b|"
            rf"^\s*(i|på|fra|til|ved)\s+(hvilket|hvilken|hvilke|kva for eit?)\s+({_BODY_PLACES})\b|"
            r"^\s*(hvor|kor)\b(?!\s+(mange|mye|mykje|stor|lenge))|\bhvor (ligger|lå|bor|holder)\b|"
            r"\b(hvilket sted|hvilken by|hvilket land|hvor hen|hvorfra)\b"
        ),
    ),
    (
        "navn",
        re.compile(
            r"\b(hva|kva)\s+(heter|het|heiter|heitte|kalles|kallast|ble .* kalt|kaltes|er navnet|var navnet)\b|"
            r"\bhvilket navn\b|\bhva står .* for\b|\bhva er .* (navnet|navn)\b"
        ),
    ),
    (
        "hvem",
        re.compile(
            rf"\b(hvem|kven|hvem sine|hvem sin)\b|"
            rf"\b(hvilken|hvilket|hvilke|kva for eit?|kva for)\s+({_AGENT_NOUNS})\b"
        ),
    ),
    (
        "definisjon",
        re.compile(
            r"^\s*(hva|kva)\s+(er|var|betyr|tyder|menes med|meiner ein med|innebærer|inneber|"
            r"går ut på|handler|handlar|gjelder|slags|slag|type)\b|^\s*hva slags\b"
        ),
    ),
    (
        "liste",
        re.compile(
            r"\b(hvilke|kva for nokre|nevn|list opp|hva består|kva består|hvilken|hvilket|kva for)\b"
        ),
    ),
]

# Not a digit glued to a letter: "G7-toppmøtet" asks about no number 7.
_NUMBER = re.compile(r"(?<![\d.,])(?<![^\W\d_])\d+(?:[.,]\d+)?(?![\d])")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")
_WH_WORDS = QUESTION_WORDS | frozenset(
    "og i på fra frå til ved med om etter før under av for".split()
)
# Capitalised words that start or frame a question rather than name something.
_COMMON_CAPS = _WH_WORDS | {"leve", "livet", "hele", "heile", "reformen", "den", "det", "de", "dei"}
# After these words comes the noun the answer must be about ("hvor mange *ansatte*").
_FOCUS_AFTER = re.compile(
    r"\b(?:hvor|kor)\s+(?:mange|mye|mykje|store?|stort|høy|lang|gammel)\s+(?:prosent\s+)?|"
    r"\b(?:hvilken|hvilket|hvilke|kva\s+for(?:\s+eit?|\s+nokre)?|hva\s+slags|kva\s+slag)\s+"
)


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    qtype: QuestionType
    terms: tuple[str, ...]  # stemmed content terms, in question order
    years: tuple[str, ...]
    numbers: tuple[str, ...]  # numbers other than years
    names: tuple[str, ...]  # lower-cased proper-name tokens (capitalised, not the first word)
    focus: tuple[str, ...] = ()  # stemmed head noun(s) the answer is about, if the question says
    bigrams: tuple[tuple[str, str], ...] = ()  # adjacent content stems, for phrase matches
    question_tokens: frozenset[str] = frozenset()  # every lower-cased token of the question
    attribute: str | None = None  # stemmed noun asked for: "hvem er *direktør* for …"
    defined: tuple[str, ...] = ()  # stems of the term a "hva er X?" asks to define
    # Stems of the thing a "hva er / heter X …?" names, up to its first little word: "fase 3"
    # in "Hva er fase 3 i reformen?". A section whose heading opens with it answers.
    named: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # numbers that label something ("trinn 2"), not counts

    def states(self, text: str, figure: str) -> bool:
        """Whether the text has one of the question's years or numbers: a count also written
        out ("tre"), a label ("trinn 2") only as it is."""
        return mentions(text, figure, written_out=figure not in self.labels)


def question_type(question: str) -> QuestionType:
    q = normalize(question)
    for qtype, pattern in _TYPE_PATTERNS:
        if pattern.search(q):
            return qtype
    return "annet"


def _names(question: str) -> tuple[str, ...]:
    """Capitalised words after the first, and capitalised parts of hyphenated words
    ("fotball-VM" → "vm")."""
    words = _WORD.findall(question)
    out = []
    for i, w in enumerate(words):
        if i > 0 and w[:1].isupper() and w.lower() not in _COMMON_CAPS and len(w) > 1:
            out.append(w.lower())
        elif "-" in w:
            out.extend(p.lower() for p in w.split("-")[1:] if p[:1].isupper() and len(p) > 1)
    return tuple(dict.fromkeys(out))


def _focus(question: str) -> tuple[str, ...]:
    m = _FOCUS_AFTER.search(normalize(question))
    if not m:
        return ()
    following = tokens(normalize(question)[m.end() :])[:1]
    return tuple(stem(t) for t in following if t not in STOPWORDS and not t.isdigit())


# "Hvor mange ansatte …", "Hvem er direktør for …": the noun after these is the attribute
# asked for, which the answering document must mention. ("Hvilket land …" is different:
# "land" names the kind of answer, not something the text must say; "hva er X" is too often
# answered in other words to be a constraint.)
_ATTRIBUTE_AFTER = re.compile(
    r"^\s*(?:hvor|kor)\s+(?:mange|mye|mykje)\s+|"
    r"^\s*(?:hvem|kven)\s+(?:er|var|blir|ble|vert|vart)\s+(?:den|det|de|dei|en|et|ei)?\s*",
    re.I,
)


# Adverbs that may stand where the attribute noun would ("hvem blir *helt sikkert* …").
_ADVERBS = frozenset("helt egentlig nå no faktisk sikkert trolig også nettopp vanligvis".split())


def _attribute(question: str) -> str | None:
    m = _ATTRIBUTE_AFTER.match(question)
    if not m:
        return None
    words = [w for w in _WORD.findall(question[m.end() :])[:4]]
    for i, word in enumerate(words):
        lw = word.lower()
        if lw in STOPWORDS or lw in _ADVERBS or word[:1].isupper() or lw.isdigit():
            continue
        following = words[i + 1].lower() if i + 1 < len(words) else ""
        if lw.endswith("e") and following and following not in STOPWORDS and following.isalpha():
            continue  # "den norske landslagssjefen": an adjective before its noun
        return stem(lw)
    return None


# "Hva er X?", "Hva heter X?", "Hva går X ut på?", "Hva handler X om?": what the question asks
# about, and by which verb. Defined: the term a "hva er X?" asks to define, when short enough to
# open its definition ("• Trøndelagsløftet. Velferdsteknologi for …"). Named: the thing up to
# its first little word ("fase 3" in "Hva er fase 3 i reformen?"), which a heading may open with.
_WHAT_IS = re.compile(
    r"^\s*(?:hva|kva)\s+(?:(?P<verb>er|var|betyr|tyder|heter|het|heiter|kalles|blir\s+kalt|"
    r"innebærer|inneber)\s+(?:(?:ein|eit|en|et|ei)\s+)?(?P<x>.+?)|(?:går|gjekk|gikk)\s+(?P<y>.+?)"
    r"\s+ut\s+på|(?:handler|handlar)\s+(?P<z>.+?)\s+om)\s*\??\s*$",
    re.I,
)
_DEFINING_VERBS = frozenset({"er", "var", "betyr", "tyder"})
MAX_DEFINED_TERMS = 4
# After the name only a scope may follow ("i veilederen", "ifølge heftet"), not more of a
# question ("i Persia før han ble konge"); "til", "av", "for" belong to the name ("faren til
# Haakon", "Trøndelag for alle").
_SCOPE_WORDS = frozenset({"i", "ifølge", "iflg", "innenfor", "under", "på"})
MAX_SCOPE_WORDS = 4
_LABELLED = re.compile(
    r"\b(?:trinn|fase|kapittel|kap|nr|nummer|punkt|steg|del|side|tiltak|paragraf)\.?\s+(\d+)\b",
    re.I,
)


def _what_is(question: str) -> tuple[str | None, str]:
    m = _WHAT_IS.match(question)
    if not m:
        return None, ""
    return (m["verb"] or "").lower(), m["x"] or m["y"] or m["z"]


def _defined(verb: str | None, thing: str) -> tuple[str, ...]:
    found = tuple(terms(thing, keep_stopwords=True)) if verb in _DEFINING_VERBS else ()
    return found if len(found) <= MAX_DEFINED_TERMS else ()


def _named(thing: str) -> tuple[str, ...]:
    words = thing.split()
    if words and words[0].lower() in ("den", "det"):
        words = words[1:]  # "Hva er det regionale støtteapparatet?"
    cut = next((i for i, w in enumerate(words) if normalize(w) in _SCOPE_WORDS), len(words))
    if len(words) - cut > MAX_SCOPE_WORDS:
        return ()
    return tuple(terms(" ".join(words[:cut]), keep_stopwords=True))


def analyse(question: str) -> QuestionAnalysis:
    years = asked_years(question)
    numbers = tuple(n for n in dict.fromkeys(_NUMBER.findall(question)) if n not in years)
    content = terms(question)
    qtype = question_type(question)
    verb, thing = _what_is(question)
    return QuestionAnalysis(
        text=question,
        qtype=qtype,
        terms=tuple(dict.fromkeys(content)),
        years=years,
        numbers=numbers,
        names=_names(question),
        focus=_focus(question),
        bigrams=tuple(dict.fromkeys(zip(content, content[1:], strict=False))),
        question_tokens=frozenset(tokens(question)),
        attribute=_attribute(question) if qtype != "hvorfor" else None,
        defined=_defined(verb, thing),
        named=_named(thing),
        labels=tuple(dict.fromkeys(_LABELLED.findall(question))),
    )


def mentions(text: str, token: str, *, written_out: bool = False) -> bool:
    """Whether `token` (a year, number or lower-cased name) occurs in `text` as a word; a
    small number also written out when asked."""
    norm = normalize(text)
    if token.isdigit():
        if re.search(rf"(?<![\d]){re.escape(token)}(?![\d])", norm) is not None:
            return True
        words = WRITTEN_OUT.get(token, ()) if written_out else ()
        return bool(words) and any(w in words for w in tokens(norm))
    return token in tokens(norm) or token in norm
