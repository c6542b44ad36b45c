"""Question files (JSON Lines, docs/contract.md) and the matching rule for expected answers.

Evaluators write these files by hand, so every mistake is reported in Norwegian with the
file and line, and nothing is run until all files read cleanly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lhl.errors import LhlError
from lhl.records import Turn
from lhl.text import normalize

KNOWN_FACTS = Path(__file__).parent / "known_facts.jsonl"
TAG_FIELDS = ("type", "doc", "style", "domain")
ROLES = ("user", "assistant")


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    expected: tuple[str, ...] = ()
    evidence: str | None = None
    expected_all: tuple[str, ...] = ()  # a list: every one must be in the answer
    answerable: bool = True
    history: tuple[Turn, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)  # type, doc, style …


class QuestionFileError(LhlError):
    """A question file that cannot be used; `message` names the file and line."""

    code = "ugyldig_sporsmalsfil"
    status = 400


def _where(path: Path, lineno: int | None = None) -> str:
    return f"{path}, linje {lineno}" if lineno else str(path)


def _fail(path: Path, lineno: int | None, problem: str) -> QuestionFileError:
    return QuestionFileError(f"Spørsmålsfilen {_where(path, lineno)}: {problem}")


def _text(raw: dict[str, Any], key: str, path: Path, lineno: int, *, required: bool) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise _fail(path, lineno, f"mangler feltet «{key}».")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(path, lineno, f"feltet «{key}» må være tekst.")
    text = str(value).strip()
    if required and not text:
        raise _fail(path, lineno, f"feltet «{key}» er tomt.")
    return text or None


def _expected(
    raw: dict[str, Any], path: Path, lineno: int, key: str = "expected"
) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str):  # one string is read as a list of one
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, lineno, f'feltet «{key}» må være en liste med tekster, f.eks. ["965"].')
    return tuple(v for v in (s.strip() for s in value) if v)


def _answerable(raw: dict[str, Any], path: Path, lineno: int) -> bool:
    value = raw.get("answerable", True)
    if not isinstance(value, bool):
        raise _fail(
            path, lineno, "feltet «answerable» må være true eller false (uten anførselstegn)."
        )
    return value


def _history(raw: dict[str, Any], path: Path, lineno: int) -> tuple[Turn, ...]:
    value = raw.get("history") or []
    problem = (
        'feltet «history» må være en liste av {"role": "user" eller "assistant", "content": tekst}.'
    )
    if not isinstance(value, list):
        raise _fail(path, lineno, problem)
    turns = []
    for turn in value:
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ROLES
            or not isinstance(turn.get("content"), str)
        ):
            raise _fail(path, lineno, problem)
        if turn["content"].strip():
            turns.append(Turn(turn["role"], turn["content"]))
    return tuple(turns)


def _tags(raw: dict[str, Any], path: Path, lineno: int) -> dict[str, str]:
    tags = {k: str(raw[k]) for k in TAG_FIELDS if raw.get(k) not in (None, "")}
    extra = raw.get("tags")
    if extra is not None:
        if not isinstance(extra, dict):
            raise _fail(path, lineno, 'feltet «tags» må være et objekt, f.eks. {"tema": "bolig"}.')
        tags.update({str(k): str(v) for k, v in extra.items() if v not in (None, "")})
    return tags


def parse_line(line: str, path: Path, lineno: int) -> EvalQuestion:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _fail(
            path,
            lineno,
            f"linjen er ikke gyldig JSON (tegn {exc.colno}). "
            "Hver linje skal være ett JSON-objekt, f.eks. "
            '{"id": "q1", "question": "…", "expected": ["…"]}.',
        ) from exc
    if not isinstance(raw, dict):
        raise _fail(path, lineno, "linjen er ikke et JSON-objekt ({ … }).")
    qid = _text(raw, "id", path, lineno, required=True)
    question = _text(raw, "question", path, lineno, required=True)
    assert qid is not None and question is not None
    expected = _expected(raw, path, lineno)
    expected_all = _expected(raw, path, lineno, "expected_all")
    evidence = _text(raw, "evidence", path, lineno, required=False)
    answerable = _answerable(raw, path, lineno)
    if answerable and not expected and not expected_all and not evidence:
        raise _fail(
            path,
            lineno,
            f"spørsmål «{qid}» kan besvares, men har verken «expected», «expected_all» eller "
            '«evidence». Skriv det forventede svaret, eller sett "answerable": false.',
        )
    return EvalQuestion(
        id=qid,
        question=question,
        expected=expected if answerable else (),
        expected_all=expected_all if answerable else (),
        evidence=evidence if answerable else None,
        answerable=answerable,
        history=_history(raw, path, lineno),
        tags=_tags(raw, path, lineno),
    )


def load_questions(path: Path) -> list[EvalQuestion]:
    """One question file; QuestionFileError (Norwegian, with file and line) when it is not usable."""
    path = Path(path)
    if not path.is_file():
        raise _fail(
            path, None, "filen finnes ikke." if not path.exists() else "dette er ikke en fil."
        )
    out: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    lineno = 0
    try:
        # utf-8-sig: files saved by Windows editors start with a byte order mark.
        with path.open(encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                q = parse_line(line, path, lineno)
                if q.id in seen:
                    raise _fail(path, lineno, f"id «{q.id}» er brukt før (linje {seen[q.id]}).")
                seen[q.id] = lineno
                out.append(q)
    except UnicodeDecodeError as exc:
        raise _fail(path, lineno + 1, "filen er ikke lagret som UTF-8.") from exc
    except OSError as exc:
        raise _fail(path, None, "filen kan ikke leses.") from exc
    if not out:
        raise _fail(path, None, "filen inneholder ingen spørsmål.")
    return out


def load_question_files(paths: Sequence[Path]) -> list[EvalQuestion]:
    """Several files run together; an id may not repeat across them (results are keyed by id)."""
    out: list[EvalQuestion] = []
    origin: dict[str, Path] = {}
    for path in paths:
        for q in load_questions(path):
            if q.id in origin:
                raise _fail(path, None, f"id «{q.id}» finnes også i {origin[q.id]}.")
            origin[q.id] = path
            out.append(q)
    return out


def contains(haystack: str, needle: str) -> bool:
    return normalize(needle) in normalize(haystack)
