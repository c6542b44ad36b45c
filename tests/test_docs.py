"""The README and the documents it links to: every relative link resolves inside the
repository (file and heading), and the corpus the README lists is the corpus in corpus/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "eval" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.add(slug)
    return out


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_inside_the_repository(doc: Path) -> None:
    text = FENCE.sub("", doc.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if ROOT not in path.parents and path != ROOT or not path.exists():
            broken.append(target)
        elif anchor and anchor not in _anchors(path):
            broken.append(target)
    assert not broken, f"{doc.name}: {broken}"


def test_the_readme_names_the_contract_and_no_missing_file() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/contract.md" in readme
    assert "CONTRACT.md" not in readme


def test_the_readme_lists_exactly_the_documents_in_the_corpus() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    manifest = json.loads((ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    files = {e["file"] for e in manifest["documents"]}
    on_disk = {p.name for p in (ROOT / "corpus").iterdir() if p.name != "manifest.json"}
    assert files == on_disk
    listed = set(re.findall(r"^\| `([^`]+)` \|", readme, re.M)) & (files | {"x.pdf"})
    assert listed == files


def _room_bullets(readme: str) -> dict[str, str]:
    """The README's map of the code: each top-level bullet "- `room/` – …" and its text."""
    start = readme.index("Hvordan koden er lagt opp")
    section = readme[start : readme.index("\n## ", start)]
    bullets = re.split(r"\n(?=- `)", section)
    return {m.group(1): b for b in bullets if (m := re.match(r"- `([a-z]+)/`", b))}


@pytest.mark.parametrize("room", ["lhl", "ingest", "assistant", "api", "cli", "eval"])
def test_the_readme_map_names_every_module_of_each_room(room: str) -> None:
    bullet = _room_bullets((ROOT / "README.md").read_text(encoding="utf-8"))[room]
    named = set(re.findall(r"`([a-z_]+)(?:\*)?\.py", bullet)) | set(
        re.findall(r"`([a-z_]+)/`", bullet)
    )
    globbed = re.findall(r"`([a-z_]+)\*\.py`", bullet)
    modules = {
        p.stem if p.is_file() else p.name
        for p in (ROOT / room).iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    missing = {m for m in modules if m not in named and not any(m.startswith(g) for g in globbed)}
    assert not missing, f"README's map of {room}/ does not name: {sorted(missing)}"
