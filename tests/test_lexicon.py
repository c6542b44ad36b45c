"""The shared Norwegian lexicon (lhl/lexicon.py): years, months, number words, the
one-letter-off check and the word lists."""

from __future__ import annotations

import re

import pytest

from lhl.lexicon import (
    MONTH,
    QUESTION_WORDS,
    RECENT_YEAR,
    STOPWORDS,
    TENS_WORDS,
    UNIT_WORDS,
    WRITTEN_OUT,
    YEAR,
    YEAR_IN_SENTENCE,
    asked_years,
    one_edit,
    one_letter_off,
)

# -- years ------------------------------------------------------------------------------------


def test_a_question_asks_about_a_year_only_when_it_stands_alone() -> None:
    assert asked_years("Hvem vant prisen i 2023?") == ("2023",)
    assert asked_years("Hva skjedde i 1814 og i 2023, og igjen i 2023?") == ("1814", "2023")
    # Part of a longer number, a decimal or a thousands group: no year.
    assert asked_years("Hvor mange fikk 12023 kroner?") == ()
    assert asked_years("Er prisen 2023,5 eller 2.2023?") == ()
    assert asked_years("Hva er 1 2023.5?") == ()
    # A full stop after the year still leaves it a year.
    assert asked_years("Hva skjedde i 2023.") == ("2023",)


@pytest.mark.parametrize(
    ("pattern", "first", "last"),
    [
        (YEAR, 1500, 2099),
        (YEAR_IN_SENTENCE, 1000, 2099),
        (RECENT_YEAR, 1900, 2099),
    ],
)
def test_each_year_pattern_spans_its_own_range(pattern: str, first: int, last: int) -> None:
    years = [n for n in range(900, 2200) if re.fullmatch(pattern, str(n))]
    assert (years[0], years[-1], len(years)) == (first, last, last - first + 1)


def test_a_question_year_stops_at_2049() -> None:
    assert asked_years("Hva er målet for 2049?") == ("2049",)
    assert asked_years("Hva er målet for 2050?") == ()
    assert asked_years("Hva skjedde i 1499 og 1500?") == ("1500",)


# -- months -----------------------------------------------------------------------------------


def test_a_month_is_a_whole_word_in_any_case() -> None:
    found = [m[0] for m in MONTH.finditer("Fra Mars til 16. desember, og i MAI.")]
    assert found == ["Mars", "desember", "MAI"]
    # Not inside a longer word: "marsjen", "maisen", "juniorer".
    assert MONTH.search("marsjen gikk forbi maisen med juniorer") is None


# -- number words -----------------------------------------------------------------------------


def test_small_numbers_are_written_out_in_every_spelling() -> None:
    assert WRITTEN_OUT["3"] == ("tre",)
    assert WRITTEN_OUT["7"] == ("sju", "syv")
    assert WRITTEN_OUT["12"] == ("tolv",)
    # One is also an article, and 13 and up are not looked for as words.
    assert "1" not in WRITTEN_OUT and "13" not in WRITTEN_OUT
    assert list(WRITTEN_OUT) == [str(n) for n in range(2, 13)]


def test_every_number_word_has_its_value() -> None:
    assert UNIT_WORDS["syv"] == UNIT_WORDS["sju"] == 7
    assert UNIT_WORDS["ett"] == UNIT_WORDS["ei"] == 1
    assert TENS_WORDS["tyve"] == TENS_WORDS["tjue"] == 20
    assert TENS_WORDS["tredve"] == 30
    for digits, words in WRITTEN_OUT.items():
        assert all(UNIT_WORDS[w] == int(digits) for w in words)


# -- one letter off ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("byer", "byer", True),  # the same word
        ("byer", "byar", True),  # one letter changed
        ("målgrupen", "målgruppen", True),  # one letter dropped
        ("målgruppen", "målgrupen", True),  # either order
        ("heyerdahl", "heyerdal", True),  # the last letter
        ("xbyer", "byer", True),  # the first letter
        ("byer", "bayar", False),  # two edits
        ("byer", "byerne", False),  # two letters more
        ("ab", "ba", False),  # two letters swapped is two edits
        ("", "a", True),
        ("", "ab", False),
    ],
)
def test_one_edit(a: str, b: str, expected: bool) -> None:
    assert one_edit(a, b) is expected


def test_one_letter_off_needs_the_same_first_two_letters() -> None:
    assert one_letter_off("byar", ["kommune", "byer"])
    assert one_letter_off("målgrupen", {"målgruppen": 1.0})  # a vocabulary's keys
    assert not one_letter_off("byer", ["kyer"])  # one edit, but another start
    assert not one_letter_off("byer", ["byerne", "by"])  # two edits
    assert not one_letter_off("byer", [])


# -- word lists -------------------------------------------------------------------------------


def test_question_words_are_stopwords_for_ranking() -> None:
    assert {"hva", "kva", "hvem", "kven", "hvorfor", "kvifor", "når"} <= QUESTION_WORDS
    assert QUESTION_WORDS <= STOPWORDS
    assert "kommune" not in STOPWORDS and "og" in STOPWORDS and "ikkje" in STOPWORDS
