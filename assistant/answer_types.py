"""What a sentence holds: cues for the kind of answer a question asks for (a quantity, a
date, a name, a place, a reason, a way, a definition, a list), used to score and check
candidate sentences in assistant/answerer.py."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.questions import QuestionAnalysis
from lhl.lexicon import MONTHS, STOPWORDS, WRITTEN_OUT, YEAR, YEAR_IN_SENTENCE
from lhl.text import normalize, stem, tokens

_NUMBER_WORDS = (
    "null|én|" + "|".join(w for words in WRITTEN_OUT.values() for w in words) + "|tretten|fjorten|"
    "femten|seksten|sytten|atten|nitten|tjue|tjuefem|tretti|førti|femti|seksti|sytti|åtti|nitti|"
    "hundre|hundrevis|tusen|tusenvis|million|millioner|milliard|milliarder|dusin|halvparten|"
    "dobbelt|tredjedel|fjerdedel|første|andre|tredje|fjerde|femte|sjette|sjuende|syvende|"
    "åttende|niende|tiende"
)
_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b")
_DATE = re.compile(
    rf"\b({YEAR_IN_SENTENCE})\b|\b({MONTHS})\b|\b\d{{1,2}}\.\s*({MONTHS})|"
    r"\b(mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|i dag|i går|i morgen|i fjor|"
    r"i år|i natt|i kveld|i helgen|kvartal|våren|høsten|sommeren|vinteren|århundre|"
    r"\d+-tallet|tallet|tiåret|middelalderen|krigen|verdenskrig|etter|før|siden|da)\b|"
    r"\b(første|neste|siste|hver|hvert|samme|forrige)\s+(dag|uke|måned|år|gang|sesong)\b|"
    r"\d{1,2}\.\d{1,2}\.\d{2,4}"
)
# Numbers that are dates, not quantities: years, "16. november", "08.04.2022".
_DATE_NUMBER = re.compile(
    rf"^({YEAR})$|^\d{{1,2}}\.?\s*({MONTHS})|^\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}"
)
_FREQUENCY = re.compile(
    r"\b(daglig\w*|ukentlig\w*|månedlig\w*|årlig\w*|kvartalsvis|jevnlig\w*|hver|hvert|"
    r"ganger?|gangen|stadig|sjelden|ofte|regelmessig\w*)\b"
)
_CAPITAL = re.compile(r"\b[A-ZÆØÅ][\wæøåÆØÅ.-]*")
_PLACE = re.compile(
    r"\b(i|på|fra|ved|til|utenfor|nær|mellom|nord|sør|øst|vest)\s+[A-ZÆØÅ]|"
    r"\b(nord|sør|øst|vest)(?:for|lige)?\b|\b[\w-]+\.(no|com|org|net)\b"
)
_WHY = re.compile(
    r"\b(for å|fordi|ettersom|siden|grunnet|på grunn av|pga|derfor|årsaken|grunnen|skyldes|"
    r"slik at|ble .* av|formål|formålet|hensikt|hensikten|målet|skal bidra|bidra til|for at|"
    r"som følge av|etter at|da)\b"
)
_HOW = re.compile(r"\b(ved å|gjennom|ved hjelp av|slik|med|ved|som|etter)\b")
# "X er et arrangement …": a copula with an article, or a defining verb.
_DEFINITION = re.compile(
    r"\b(er|var|blir)\s+(en|et|ei|ein|eit|den|det|de|ett)\b|"
    r"\b(betyr|innebærer|handler om|går ut på|består av|defineres|"
    r"kalles|kalt|omtales|definert som|dreier seg om)\b"
)
_LIST = re.compile(r",|\bog\b|^•|:")
PRONOUN_START = re.compile(
    r"^[«\"–-]?\s*(han|hun|ho|de|dei|den|det|dette|denne|disse|desse|hans|hennes|deres)\b", re.I
)
ANAPHORIC_START = re.compile(
    r"^[«\"–-]?\s*(dette|det|den|denne|disse|de|han|hun|ho|dei|der|da|derfor|slik|så|"
    r"grunnen|årsaken|bakgrunnen|her|dermed|også|i tillegg|blant annet|sistnevnte|"
    r"førstnevnte|resultatet)\b",
    re.I,
)


# What a "hvem"/"hvilke" question's wording asks, and how the documents say it: who belongs to
# something ("hvem sitter i X?" ← "X består av …"), whom something is for ("hvem er det rettet
# mot?" ← "Målgruppe: …").
_PHRASINGS = [
    (
        re.compile(
            r"\b(sitter|sit|er med|var med|består|bestod|medlem\w*|utgjør|utgjorde|"
            r"deltar|deltok|deltek)\b"
        ),
        re.compile(
            r"\b(består av|bestod av|bestående av|medlem\w*|representert|representant\w*|"
            r"sitter i|deltar|deltok|utgjør|utgjøres|utgjorde)\b"
        ),
    ),
    (
        re.compile(r"\b(rettet mot|retta mot|retter seg mot|for hvem|målgrupp\w*)\b"),
        re.compile(r"\b(målgrupp\w*|rettet mot|retta mot|retter seg mot)\b"),
    ),
]


def content_stems(text: str) -> list[str]:
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


def _novel_capitals(sentence: str, q: QuestionAnalysis) -> bool:
    """A capitalised word the question does not contain; the first word counts only when
    another capitalised word follows it (a name, not just the start of a sentence)."""
    words = _CAPITAL.findall(sentence)
    first = sentence.lstrip('«"–-•( ').split(" ", 1)[0]
    for i, w in enumerate(words):
        lw = w.lower().strip(".-")
        if not lw or lw in q.question_tokens or lw in STOPWORDS:
            continue
        if i == 0 and w == first and len(words) == 1:
            continue
        return True
    return False


def _novel_number(sentence: str, q: QuestionAnalysis) -> bool:
    """A quantity the question does not hold; a date is not a quantity unless the question
    asks how many years, and "hvor ofte" is answered by a frequency ("månedlig")."""
    s = normalize(sentence)
    if "ofte" in q.question_tokens and _FREQUENCY.search(s):
        return True
    counts_years = "år" in q.question_tokens or "gammel" in q.question_tokens
    for m in _NUMBER.finditer(s):
        start = m.start()
        token = re.match(r"[\w.,]+", s[start:])
        word = token.group(0).strip(".,") if token else ""
        if not word or word in q.question_tokens or word in q.years or word in q.numbers:
            continue
        if not counts_years and _DATE_NUMBER.match(s[start : start + 20]):
            continue
        return True
    return False


def _novel_date(sentence: str, q: QuestionAnalysis) -> bool:
    s = normalize(sentence)
    for m in _DATE.finditer(s):
        if m.group(0) not in q.question_tokens and m.group(0) not in q.years:
            return True
    return False


def phrased_as_asked(q: QuestionAnalysis, sentence: str) -> bool:
    """Whether the sentence says what the question's wording asks in the documents' own
    words: "hvem sitter i X?" is answered by "X består av …" (whichever verb it used)."""
    if q.qtype not in ("hvem", "liste", "navn"):
        return False
    wanted = _wanted_phrasings(q.text)
    return bool(wanted) and any(says.search(normalize(sentence)) for says in wanted)


@lru_cache(maxsize=1024)
def _wanted_phrasings(question: str) -> tuple[re.Pattern[str], ...]:
    """The document wordings a question's wording asks for (asked once per question, not
    once per candidate sentence)."""
    text = normalize(question)
    return tuple(says for asks, says in _PHRASINGS if asks.search(text))


def fits_type(q: QuestionAnalysis, sentence: str) -> bool | None:
    """Whether the sentence holds an answer of the asked-for kind; None for no kind."""
    s = normalize(sentence)
    match q.qtype:
        case "antall":
            return _novel_number(sentence, q)
        case "dato":
            return _novel_date(sentence, q)
        case "hvem" | "navn":
            return _novel_capitals(sentence, q)
        case "hvor":
            return bool(_PLACE.search(sentence)) or _novel_capitals(sentence, q)
        case "hvorfor":
            return bool(_WHY.search(s))
        case "hvordan":
            return bool(_HOW.search(s))
        case "definisjon":
            return bool(_DEFINITION.search(s))
        case "liste":
            return bool(_LIST.search(s)) or _novel_capitals(sentence, q)
    return None
