"""Question files (JSON Lines, CONTRACT.md) and the matching rule for expected answers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lhl.records import Turn
from lhl.text import normalize

KNOWN_FACTS = Path(__file__).parent / "known_facts.jsonl"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    expected: tuple[str, ...] = ()
    evidence: str | None = None
    answerable: bool = True
    history: tuple[Turn, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)  # type, doc, style …


class QuestionFileError(ValueError):
    pass


def load_questions(path: Path) -> list[EvalQuestion]:
    out: list[EvalQuestion] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                raw: dict[str, Any] = json.loads(line)
                qid = str(raw["id"])
                question = str(raw["question"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise QuestionFileError(f"{path}:{lineno}: ugyldig linje ({exc})") from exc
            if qid in seen:
                raise QuestionFileError(f"{path}:{lineno}: id «{qid}» finnes fra før")
            seen.add(qid)
            history = tuple(
                Turn(t["role"], t["content"]) for t in raw.get("history") or [] if t.get("content")
            )
            tags = {k: str(raw[k]) for k in ("type", "doc", "style", "domain") if raw.get(k)}
            out.append(
                EvalQuestion(
                    id=qid,
                    question=question,
                    expected=tuple(raw.get("expected") or ()),
                    evidence=raw.get("evidence") or None,
                    answerable=bool(raw.get("answerable", True)),
                    history=history,
                    tags=tags,
                )
            )
    return out


def contains(haystack: str, needle: str) -> bool:
    return normalize(needle) in normalize(haystack)
