"""The extractive answerer: picks the sentence (sometimes two) that answers the question from
the top passages, or refuses when the evidence does not cover the question.

Named steps:
- `candidates()` scores every sentence of the top passages: question terms it shares
  (idf-weighted, stemmed, compounds matched in part), phrase matches, terms in the
  neighbouring sentences and the section heading, whether it holds the kind of answer the
  question asks for (a number, a date, a name …) that the question does not already hold,
  and the rank of its passage.
- `refusal_reason()` decides whether the best candidate's evidence covers the question: a
  year, number or name the question asks about must be there, and so must enough of its terms.
- `choose()` picks the answer sentences: the best one, and a neighbour when the best one is
  an introduction, or when the neighbour carries the answer the best one lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.questions import MONTHS, QuestionAnalysis, mentions
from lhl.records import Passage
from lhl.text import STOPWORDS, normalize, sentences, stem, tokens

PASSAGES_CONSIDERED = 5
MAX_ANSWER_CHARS = 320
DEFAULT_IDF = 3.0  # a question term the index has never seen: rare, so it counts


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in a sentence's score (tuned on NorQuAD validation)."""

    own: float = 1.0  # idf share of question terms in the sentence
    partial: float = 0.6  # credit for a term found only inside a compound
    bigram: float = 0.25  # share of the question's adjacent term pairs found as a phrase
    near: float = 0.25  # best neighbour's term share
    context: float = 0.15  # term share of the section heading and title
    rank: float = 0.06  # per place down the retrieval ranking
    type_fit: float = 0.3  # the sentence holds the kind of answer asked for
    type_miss: float = 0.15  # … and the penalty when it does not
    long_after: int = 250  # characters
    long_penalty: float = 0.002  # per character beyond long_after
    short_below: int = 25
    short_penalty: float = 0.15


WEIGHTS = Weights()

# Refusal thresholds.
MIN_COVERAGE = 0.34  # share of the question's idf the evidence window must cover


@dataclass
class Candidate:
    passage_index: int
    sentence_index: int
    text: str
    score: float
    coverage: float  # idf share of question terms in the sentence, its neighbours and heading
    fits_type: bool = False


# -- what a sentence holds ------------------------------------------------------------------
_NUMBER_WORDS = (
    "null|en|ett|én|eitt|to|tre|fire|fem|seks|sju|syv|åtte|ni|ti|elleve|tolv|tretten|fjorten|"
    "femten|seksten|sytten|atten|nitten|tjue|tjuefem|tretti|førti|femti|seksti|sytti|åtti|nitti|"
    "hundre|hundrevis|tusen|tusenvis|million|millioner|milliard|milliarder|dusin|halvparten|"
    "dobbelt|tredjedel|fjerdedel|første|andre|tredje|fjerde|femte|sjette|sjuende|syvende|"
    "åttende|niende|tiende"
)
_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b")
_DATE = re.compile(
    rf"\b(1[0-9]\d\d|20\d\d)\b|\b({MONTHS})\b|\b\d{{1,2}}\.\s*({MONTHS})|"
    r"\b(mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag|i dag|i går|i morgen|i fjor|"
    r"i år|i natt|i kveld|i helgen|kvartal|våren|høsten|sommeren|vinteren|århundre|"
    r"\d+-tallet|tallet|tiåret|middelalderen|krigen|verdenskrig|etter|før|siden|da)\b|"
    r"\d{1,2}\.\d{1,2}\.\d{2,4}"
)
_CAPITAL = re.compile(r"\b[A-ZÆØÅ][\wæøåÆØÅ.-]*")
_PLACE = re.compile(r"\b(i|på|fra|ved|til|utenfor|nær|mellom|nord|sør|øst|vest)\s+[A-ZÆØÅ]|"
                    r"\b(nord|sør|øst|vest)(?:for|lige)?\b")
_WHY = re.compile(
    r"\b(for å|fordi|ettersom|siden|grunnet|på grunn av|pga|derfor|årsaken|grunnen|skyldes|"
    r"slik at|ble .* av|formål|formålet|hensikt|hensikten|målet|skal bidra|bidra til|for at|"
    r"som følge av|etter at|da)\b"
)
_HOW = re.compile(r"\b(ved å|gjennom|ved hjelp av|slik|med|ved|som|etter)\b")
_DEFINITION = re.compile(r"\b(er|var|betyr|innebærer|handler om|går ut på|består av|defineres|"
                         r"kalles|kalt|omtales)\b")
_LIST = re.compile(r",|\bog\b|^•|:")
_ANAPHORIC_START = re.compile(
    r"^[«\"–-]?\s*(dette|det|den|denne|disse|de|han|hun|ho|dei|der|da|derfor|slik|så|"
    r"grunnen|årsaken|bakgrunnen|her|dermed|også|i tillegg|blant annet)\b",
    re.I,
)


def _stems(text: str) -> list[str]:
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


def _novel_capitals(sentence: str, q: QuestionAnalysis) -> bool:
    """A capitalised word the question does not contain; the first word counts only when
    another capitalised word follows it (a name, not just the start of a sentence)."""
    words = _CAPITAL.findall(sentence)
    first = sentence.lstrip("«\"–-•( ").split(" ", 1)[0]
    for i, w in enumerate(words):
        lw = w.lower().strip(".-")
        if not lw or lw in q.question_tokens or lw in STOPWORDS:
            continue
        if i == 0 and w == first and len(words) == 1:
            continue
        return True
    return False


def _novel_number(sentence: str, q: QuestionAnalysis) -> bool:
    s = normalize(sentence)
    for m in _NUMBER.finditer(s):
        start = m.start()
        token = re.match(r"[\w.,]+", s[start:])
        word = token.group(0).strip(".,") if token else ""
        if word and word not in q.question_tokens and word not in q.years and word not in q.numbers:
            return True
    return False


def _novel_date(sentence: str, q: QuestionAnalysis) -> bool:
    s = normalize(sentence)
    for m in _DATE.finditer(s):
        if m.group(0) not in q.question_tokens and m.group(0) not in q.years:
            return True
    return False


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


# -- scoring ---------------------------------------------------------------------------------
def _match(term: str, stems: set[str], stem_list: Sequence[str]) -> float:
    """1 for the term itself, `partial` for the term inside a compound (or the other way
    round: "tiltakspakken" ~ "pakke"), 0 otherwise."""
    if term in stems:
        return 1.0
    if len(term) >= 4:
        for s in stem_list:
            if len(s) >= 4 and (term in s or (len(s) >= 5 and s in term)):
                return WEIGHTS.partial
    return 0.0


def _share(weights: Mapping[str, float], total: float, stem_list: Sequence[str]) -> float:
    stems = set(stem_list)
    return sum(w * _match(t, stems, stem_list) for t, w in weights.items()) / total


def _bigram_share(q: QuestionAnalysis, stem_list: Sequence[str]) -> float:
    if not q.bigrams:
        return 0.0
    pairs = set(zip(stem_list, stem_list[1:], strict=False))
    return sum(b in pairs for b in q.bigrams) / len(q.bigrams)


def candidates(
    q: QuestionAnalysis, passages: Sequence[Passage], idf: Mapping[str, float]
) -> list[Candidate]:
    w = WEIGHTS
    weights = {t: idf.get(t, DEFAULT_IDF) for t in q.terms}
    total = sum(weights.values()) or 1.0
    out: list[Candidate] = []
    for pi, passage in enumerate(passages[:PASSAGES_CONSIDERED]):
        sents = sentences(passage.chunk.text)
        stem_lists = [_stems(s) for s in sents]
        shares = [_share(weights, total, sl) for sl in stem_lists]
        context_stems = _stems(f"{passage.chunk.section} {passage.chunk.title}")
        context = _share(weights, total, context_stems)
        for si, sent in enumerate(sents):
            near = max((shares[j] for j in (si - 1, si + 1) if 0 <= j < len(sents)), default=0.0)
            score = w.own * shares[si] + w.bigram * _bigram_share(q, stem_lists[si])
            score += w.near * near + w.context * context - w.rank * pi
            fit = fits_type(q, sent)
            if fit is True:
                score += w.type_fit
            elif fit is False:
                score -= w.type_miss
            score -= w.long_penalty * max(0, len(sent) - w.long_after)
            if len(sent) < w.short_below:
                score -= w.short_penalty
            window = set(stem_lists[si]) | set(context_stems)
            for j in (si - 1, si + 1):
                if 0 <= j < len(sents):
                    window |= set(stem_lists[j])
            coverage = _share(weights, total, sorted(window))
            out.append(Candidate(pi, si, sent, score, coverage, fit is True))
    out.sort(key=lambda c: -c.score)
    return out


# -- refusal ---------------------------------------------------------------------------------
def _evidence_text(passages: Sequence[Passage], best: Candidate) -> str:
    chunk = passages[best.passage_index].chunk
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def _window_text(passages: Sequence[Passage], best: Candidate) -> str:
    chunk = passages[best.passage_index].chunk
    sents = sentences(chunk.text)
    lo, hi = max(0, best.sentence_index - 1), best.sentence_index + 2
    return f"{chunk.title}\n{chunk.section}\n" + "\n".join(sents[lo:hi])


def _name_found(name: str, text: str) -> bool:
    """A name in the question is found in the text as the word itself, an inflection of it
    ("Warholms"), or with one letter off ("Heyerdal" ~ "Heyerdahl")."""
    if mentions(text, name):
        return True
    if len(name) < 5:
        return False
    for tok in set(tokens(text)):
        if tok.startswith(name[:-1]) and abs(len(tok) - len(name)) <= 2:
            return True
        if abs(len(tok) - len(name)) <= 1 and _one_edit(tok, name):
            return True
    return False


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def refusal_reason(
    q: QuestionAnalysis, passages: Sequence[Passage], best: Candidate | None
) -> str | None:
    """Why the evidence does not answer the question, or None when it does."""
    if not passages or best is None:
        return "no passages"
    window = _window_text(passages, best)
    for year in q.years:
        if not mentions(window, year):
            return f"year {year} not in evidence"
    for number in q.numbers:
        if not mentions(window, number):
            return f"number {number} not in evidence"
    evidence = _evidence_text(passages, best)
    for name in q.names:
        if not _name_found(name, evidence):
            return f"name {name} not in evidence"
    if best.coverage < MIN_COVERAGE:
        return f"coverage {best.coverage:.2f} too low"
    return None


# -- choosing the answer sentences ------------------------------------------------------------
def choose(
    q: QuestionAnalysis, passages: Sequence[Passage], ranked: Sequence[Candidate]
) -> list[Candidate]:
    """The answer sentences: the best one, plus a neighbour when the best one introduces
    what follows (ends with a colon, is very short) or when the next sentence continues it
    ("Dette skyldes …") and carries the kind of answer the best one lacks."""
    best = ranked[0]
    chosen = [best]
    sents = sentences(passages[best.passage_index].chunk.text)
    nxt = best.sentence_index + 1
    if nxt >= len(sents) or len(best.text) + len(sents[nxt]) > MAX_ANSWER_CHARS:
        return chosen
    following = sents[nxt]
    intro = best.text.endswith(":") or len(best.text) < 60
    continues = bool(_ANAPHORIC_START.search(following)) and not best.fits_type and bool(
        fits_type(q, following)
    )
    if intro or continues or (q.qtype == "liste" and not _LIST.search(best.text)):
        chosen.append(Candidate(best.passage_index, nxt, following, best.score, best.coverage))
    return chosen


__all__ = ["Candidate", "Weights", "WEIGHTS", "candidates", "choose", "fits_type", "refusal_reason"]
