"""The message catalogue (lhl/messages/): every entry is used, every template gets exactly the
placeholders it names, user messages at a raise come from it, and the API's error bodies are
its texts over real HTTP."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from server_fixtures import serve_app

import lhl.errors
from api.errors import CatchAllMiddleware, install_error_handlers
from lhl import messages
from lhl.messages.errors import BY_STATUS, ErrorText, for_status

ROOT = Path(__file__).resolve().parent.parent
CODE = ["api", "assistant", "cli", "ingest", "lhl"]  # where callers live
ROOMS: dict[str, ModuleType] = {
    "": messages,
    "errors": messages.errors,
    "ingest": messages.ingest,
    "teams": messages.teams,
    "terminal": messages.terminal,
}


def _entries() -> dict[tuple[str, str], str]:
    """(room, NAME) → the text of every catalogue entry (an ErrorText's message)."""
    found = {}
    for room, module in ROOMS.items():
        for name, value in vars(module).items():
            if not name.isupper():
                continue
            if isinstance(value, ErrorText):
                value = value.message
            if isinstance(value, str):
                found[room, name] = value
    return found


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if not path.is_relative_to(ROOT / "lhl" / "messages"):
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def _references() -> Iterator[tuple[tuple[str, str], str, set[str] | None]]:
    """Each use of a catalogue entry in the code: (room, NAME), where, and the keywords of the
    `.format(...)` it is passed through (None when it is used as it is)."""
    for path, tree in _sources():
        imported = {
            alias.asname or alias.name: (node.module or "").removeprefix("lhl.messages").lstrip(".")
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lhl.messages")
            for alias in node.names
        }
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            key = _entry_key(node, imported)
            if key is None:
                continue
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            parent = parents.get(node)
            call = parents.get(parent) if parent is not None else None
            formatted = (
                isinstance(parent, ast.Attribute)
                and parent.attr == "format"
                and isinstance(call, ast.Call)
                and call.func is parent
            )
            if formatted:
                assert isinstance(call, ast.Call)
                assert all(k.arg for k in call.keywords), f"{where}: format(**...) hides its names"
                yield key, where, {str(k.arg) for k in call.keywords}
            else:
                yield key, where, None


def _entry_key(node: ast.AST, imported: dict[str, str]) -> tuple[str, str] | None:
    """`messages.NAME`, `messages.room.NAME`, or NAME imported from lhl.messages(.room)."""
    if isinstance(node, ast.Name) and node.id in imported and node.id.isupper():
        return imported[node.id], node.id
    if not isinstance(node, ast.Attribute) or not node.attr.isupper():
        return None
    owner = node.value
    if isinstance(owner, ast.Name) and owner.id == "messages":
        return "", node.attr
    if (
        isinstance(owner, ast.Attribute)
        and isinstance(owner.value, ast.Name)
        and owner.value.id == "messages"
    ):
        return owner.attr, node.attr
    if isinstance(owner, ast.Name) and imported.get(owner.id) == "" and owner.id in ROOMS:
        return owner.id, node.attr  # `from lhl.messages import teams` → teams.NAME
    return None


def test_every_template_gets_exactly_its_placeholders() -> None:
    entries = _entries()
    problems = []
    for key, where, keywords in _references():
        assert key in entries or key[1] == "UNCERTAIN_BELOW", f"{where}: no entry {key}"
        if key not in entries:
            continue
        fields = _fields(entries[key])
        if keywords is None and fields:
            problems.append(
                f"{where}: {key[1]} shown with its placeholders {sorted(fields)} unfilled"
            )
        elif keywords is not None and keywords != fields:
            problems.append(f"{where}: {key[1]} needs {sorted(fields)}, gets {sorted(keywords)}")
    assert not problems, "\n".join(problems)


def test_every_entry_is_used() -> None:
    used = {key for key, _, _ in _references()}
    by_status = {
        ("errors", name) for name, v in vars(messages.errors).items() if v in BY_STATUS.values()
    }
    unused = set(_entries()) - used - by_status
    assert not unused, f"catalogue entries nothing uses: {sorted(unused)}"


def test_user_messages_at_a_raise_come_from_the_catalogue() -> None:
    """A message written where an LhlError (or an unreadable file's reason) is raised would be
    a second place for user text; the detail for the log may be written there."""
    kinds = {
        name
        for name, value in vars(lhl.errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    } | {"UnreadableFile"}
    written = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in kinds and isinstance(node.args[0], ast.Constant | ast.JoinedStr):
                written.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not written, "\n".join(written)


class _Question(BaseModel):
    question: str


@pytest.fixture(scope="module")
def error_app() -> Iterator[httpx.Client]:
    """The real error handlers on a small app, over real HTTP."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(CatchAllMiddleware)
    errors = {
        cls.__name__: cls
        for cls in vars(lhl.errors).values()
        if isinstance(cls, type) and issubclass(cls, lhl.errors.LhlError)
    }

    @app.get("/raise/{name}")
    def raise_it(name: str) -> None:
        raise errors[name]()

    @app.post("/ask")
    def ask(body: _Question) -> dict[str, str]:
        return {"ok": body.question}

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("a bug")

    with serve_app(app) as url, httpx.Client(base_url=url) as client:
        yield client


def _body(error: ErrorText) -> dict[str, dict[str, str]]:
    return {"error": {"code": error.code, "message": error.message}}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("LhlError", messages.errors.INTERNAL),
        ("InvalidQuestion", messages.errors.INVALID_QUESTION),
        ("IndexNotReady", messages.errors.INDEX_NOT_READY),
        ("IndexUnavailable", messages.errors.INDEX_UNAVAILABLE),
        ("Unauthorized", messages.errors.UNAUTHORIZED),
        ("TeamsNotConfigured", messages.errors.TEAMS_NOT_CONFIGURED),
        ("BodyTooLarge", messages.errors.TOO_LARGE),
        ("BadMessage", messages.errors.BAD_MESSAGE),
    ],
)
def test_domain_errors_answer_with_their_catalogue_text(
    error_app: httpx.Client, name: str, text: ErrorText
) -> None:
    response = error_app.get(f"/raise/{name}")
    assert (response.status_code, response.json()) == (text.status, _body(text))


def test_http_failures_answer_with_their_catalogue_text(error_app: httpx.Client) -> None:
    cases = [
        (error_app.get("/no/such/page"), messages.errors.NO_SUCH_RESOURCE),
        (error_app.delete("/ask"), messages.errors.METHOD_NOT_ALLOWED),
        (error_app.get("/crash"), messages.errors.INTERNAL),
        (
            error_app.post("/ask", content=b"{", headers={"content-type": "application/json"}),
            messages.errors.INVALID_JSON,
        ),
        (error_app.post("/ask", json={}), messages.errors.INVALID_FIELD.format(field="question")),
    ]
    for response, text in cases:
        assert (response.status_code, response.json()) == (text.status, _body(text))
    assert for_status(418) == ErrorText(418, "feil", "Noe gikk galt.")
