"""The small Norwegian knowledge several modules share, in one place: function words and
question words, years, months, number words, and the one-letter-off check.

Patterns given as strings are regex alternatives without groups or bounds, for a caller to
put into its own pattern; compiled ones are used as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# -- words ------------------------------------------------------------------------------------
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

# The words a question asks with, bokmål and nynorsk (lower case).
QUESTION_WORDS = frozenset(
    "hva kva hvem kven hvor kor hvilke hvilken hvilket når hvordan korleis hvorfor kvifor".split()
)

# -- years ------------------------------------------------------------------------------------
# Four-digit years. The ranges differ by caller and each is kept as it was: which numbers
# count as years decides constraints and dates, so one range for all would change answers.
YEAR = r"1[5-9]\d\d|20\d\d"  # 1500–2099: a number that is a date, not a quantity
YEAR_IN_SENTENCE = r"1[0-9]\d\d|20\d\d"  # 1000–2099: a year that dates a sentence
RECENT_YEAR = r"(?:19|20)\d\d"  # 1900–2099: a year a follow-up swaps ("Hva med 2021?")
# 1500–2049: a year a question asks about, not part of a longer number or a decimal
# ("12023", "2023,5").
ASKED_YEAR = re.compile(r"(?<![\d.,])(1[5-9]\d\d|20[0-4]\d)(?![\d.,]\d)")


def asked_years(question: str) -> tuple[str, ...]:
    """The years a question asks about, in order, each once."""
    return tuple(dict.fromkeys(ASKED_YEAR.findall(question)))


# -- months -----------------------------------------------------------------------------------
MONTHS = "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
# A month name as a word, in any case ("Mars", not "marsjen").
MONTH = re.compile(rf"\b(?:{MONTHS})\b", re.IGNORECASE)

# -- number words -----------------------------------------------------------------------------
# Number words by value, bokmål and nynorsk spellings; "en", "én", "ett" and "ei" are also
# articles.
UNIT_WORDS: dict[str, int] = {
    "null": 0, "en": 1, "én": 1, "ett": 1, "ei": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12,
    "tretten": 13, "fjorten": 14, "femten": 15, "seksten": 16, "sytten": 17, "atten": 18,
    "nitten": 19,
}  # fmt: skip
TENS_WORDS: dict[str, int] = {
    "tjue": 20, "tyve": 20, "tretti": 30, "tredve": 30, "førti": 40, "femti": 50,
    "seksti": 60, "sytti": 70, "åtti": 80, "nitti": 90,
}  # fmt: skip
# Small numbers are as often written out: "de siste 3 åra" ~ "de siste tre årene".
# Digits → the words for them, from 2 to 12.
WRITTEN_OUT: dict[str, tuple[str, ...]] = {
    str(n): tuple(w for w, v in UNIT_WORDS.items() if v == n) for n in range(2, 13)
}


# -- one letter off ---------------------------------------------------------------------------
def one_edit(a: str, b: str) -> bool:
    """Whether two words are equal or one letter apart: one changed, added or dropped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def one_letter_off(word: str, words: Iterable[str]) -> bool:
    """Whether `words` hold the word with a typo or in its nynorsk form: one edit apart, the
    first two letters alike ("målgrupen" ~ "målgruppen", "byar" ~ "byer")."""
    n, start = len(word), word[:2]
    # The cheap tests first, inline: `words` may be the index's whole vocabulary.
    return any(abs(len(w) - n) <= 1 and w[:2] == start and one_edit(w, word) for w in words)
