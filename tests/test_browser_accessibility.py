"""The chat page by keyboard alone and for screen readers: focus that shows, a live region,
and no WCAG 2.1 A/AA violations found by axe-core at three widths.
"""

from __future__ import annotations

from typing import Any

import pytest
from chat_page import PRIZE, UNRELATED, ask, axe, finish, no_horizontal_scroll, open_page, shoot
from server_fixtures import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")


# -- keyboard and accessibility -------------------------------------------------------------------
def focus_by_tab(page: Any, selector: str, limit: int = 60) -> None:
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"could not reach {selector} with Tab")


def has_visible_focus(page: Any) -> bool:
    return bool(
        page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    }""")
    )


def test_keyboard_only_ask_open_citation_and_rate(page: Any) -> None:
    focus_by_tab(page, "#question")
    assert has_visible_focus(page)
    page.keyboard.type(PRIZE)
    page.keyboard.press("Enter")
    answer = page.locator("#conversation .turn-answer")
    sync_api.expect(answer).to_have_count(1)
    sync_api.expect(answer).to_contain_text("Melhus")

    focus_by_tab(page, "#conversation a.cite")
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("#passage-title")).to_be_focused()
    page.keyboard.press("Escape")
    sync_api.expect(page.locator("#conversation a.cite").first).to_be_focused()

    focus_by_tab(page, "#conversation .fb-up")
    assert has_visible_focus(page)
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".fb-comment")).to_be_focused()
    page.keyboard.type("Bra")
    focus_by_tab(page, "#conversation .fb-send")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator(".fb-done")).to_be_visible()


def test_new_answers_are_announced_by_a_live_region(page: Any) -> None:
    log = page.locator("#conversation")
    assert log.get_attribute("aria-live") == "polite"
    assert log.get_attribute("role") == "log"
    ask(page, PRIZE)
    assert log.locator(".turn-answer").count() == 1  # the answer lands inside the live region


@pytest.mark.parametrize(
    ("label", "width", "height", "scale"),
    [("1280", 1280, 900, 1), ("320", 320, 700, 1), ("zoom200", 640, 450, 2)],
)
def test_axe_finds_no_wcag_violations_and_nothing_scrolls_sideways(
    browser: Any, server: LiveServer, label: str, width: int, height: int, scale: float
) -> None:
    """WCAG 2.1 A/AA by axe-core in every state of the page; 200 % zoom of a 1280 px window
    is a 640 CSS px viewport at device scale 2."""
    page = open_page(browser, server, width, height, scale)
    violations = axe(page, "tom side")
    assert no_horizontal_scroll(page), "empty page scrolls sideways"

    answer = ask(page, PRIZE)
    answer.locator("a.cite").first.click()
    sync_api.expect(page.locator("#passage-panel")).to_be_visible()
    violations += axe(page, "svar med åpen kilde")
    assert no_horizontal_scroll(page), "answer with passage scrolls sideways"

    not_found = ask(page, UNRELATED)
    not_found.locator(".fb-down").click()
    sync_api.expect(not_found.locator(".fb-comment")).to_be_visible()
    violations += axe(page, "ikke funnet, tilbakemeldingsskjema")
    assert no_horizontal_scroll(page), "not-found answer scrolls sideways"

    shoot(page, f"axe-{label}")
    assert violations == []
    finish(page)


def test_axe_check_itself_reports_violations(page: Any) -> None:
    """The accessibility tests would notice: a low-contrast text and an unlabelled image."""
    page.evaluate("""() => {
        const p = document.createElement('p');
        p.textContent = 'Svak tekst';
        p.style.color = '#cccccc';
        p.style.background = '#ffffff';
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('#intro').append(p, img);
    }""")
    found = {v["id"] for v in axe(page, "med feil")}
    assert {"color-contrast", "image-alt"} <= found
