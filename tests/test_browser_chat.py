"""The chat page in headless Chromium against `lhl serve` with the bundled model's index:
asking and reading what a person sees and does (answers, citations, follow-ups, feedback,
copying, deep links, errors).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from chat_page import (
    NATIONAL,
    PRIZE,
    REGIONAL_FOLLOWUP,
    UNRELATED,
    ask,
    final_event,
    finish,
    no_horizontal_scroll,
    open_page,
    shoot,
)
from server_fixtures import LiveServer

from lhl.feedback import FeedbackStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")


# -- asking and reading -------------------------------------------------------------------------
def test_question_gets_a_cited_answer_and_a_citation_opens_the_passage(page: Any) -> None:
    answer = ask(page, PRIZE)
    assert "is-found" in answer.get_attribute("class")
    text = answer.locator(".answer-text")
    sync_api.expect(text).to_contain_text("Melhus")
    cite = text.locator("a.cite").first
    sync_api.expect(cite).to_have_text("[1]")
    sync_api.expect(answer.locator(".sources-heading")).to_have_text("Kilder")

    cite.click()
    panel = page.locator("#passage-panel")
    sync_api.expect(panel).to_be_visible()
    sync_api.expect(page.locator("#passage-title")).to_be_focused()
    sync_api.expect(page.locator("#passage-title")).to_contain_text("Årsrapport 2022")
    sync_api.expect(page.locator("#passage-meta")).not_to_be_empty()  # section (and page)
    mark = page.locator("#passage-text mark")
    sync_api.expect(mark).to_contain_text("Melhus")  # the answering sentence, highlighted
    assert len(page.locator("#passage-text").inner_text()) > len(mark.inner_text())
    shoot(page, "desktop-1280-answer-citation")

    page.keyboard.press("Escape")
    sync_api.expect(panel).to_be_hidden()
    sync_api.expect(cite).to_be_focused()  # focus goes back where it came from


def test_the_readers_answer_span_is_bold_inside_the_highlighted_sentence(page: Any) -> None:
    answer = ask(page, "Når ble meldingen vedtatt i Stortinget?")
    sync_api.expect(answer.locator(".answer-text")).to_contain_text("20. desember 2018")
    answer.locator("a.cite").first.click()
    span = page.locator("#passage-text mark strong.answer-span")
    sync_api.expect(span).to_have_count(1)
    sync_api.expect(span).to_contain_text("2018")  # the span, not the whole sentence
    assert len(span.inner_text()) < len(page.locator("#passage-text mark").inner_text())


def test_mobile_answer_with_an_opened_citation(browser: Any, server: LiveServer) -> None:
    page = open_page(browser, server, width=360, height=780)
    answer = ask(page, PRIZE)
    answer.locator("a.cite").first.click()
    panel = page.locator("#passage-panel")
    sync_api.expect(panel).to_be_visible()
    sync_api.expect(page.locator("#passage-text mark")).to_contain_text("Melhus")
    # On a narrow screen the passage opens under the answer it belongs to.
    assert answer.locator("#passage-panel").count() == 1
    assert no_horizontal_scroll(page)
    shoot(page, "mobile-360-answer-citation")
    finish(page)


def test_not_found_looks_different_and_offers_related_passages_as_such(page: Any) -> None:
    answer = ask(page, UNRELATED)
    assert "is-not-found" in answer.get_attribute("class")
    sync_api.expect(answer.locator(".turn-label")).to_have_text("Ikke funnet i dokumentene")
    sync_api.expect(answer.locator(".answer-text")).to_contain_text("ikke i dokumentene")
    sync_api.expect(answer.locator(".sources-heading")).to_have_text(
        "Relaterte avsnitt (ikke et svar)"
    )
    assert answer.locator(".answer-text a.cite").count() == 0
    # Each related passage shows the sentence of it that came closest, as a quote.
    quotes = answer.locator(".sources.related .source-quote")
    assert quotes.count() == answer.locator(".sources.related li").count() > 0
    assert all(len(q.strip()) > 10 for q in quotes.all_inner_texts())
    found = ask(page, PRIZE)
    bg = [el.evaluate("e => getComputedStyle(e).backgroundColor") for el in (answer, found)]
    assert bg[0] != bg[1]
    shoot(page, "desktop-1280-not-found")


def test_follow_up_is_answered_in_the_context_of_the_previous_turn(page: Any) -> None:
    ask(page, NATIONAL)
    with page.expect_response("**/api/ask/stream") as response_info:
        followup = ask(page, REGIONAL_FOLLOWUP)
    request = response_info.value.request.post_data_json
    assert [t["role"] for t in request["history"]] == ["user", "assistant"]
    assert request["history"][0]["content"] == NATIONAL
    body = final_event(response_info.value.text())
    assert "støtteapparatet" in body["resolved_question"]
    # The regional support system's members, which the question alone does not name.
    sync_api.expect(followup.locator(".answer-text")).to_contain_text(
        re.compile("statsforvalter", re.I)
    )
    sync_api.expect(followup.locator(".resolved")).to_contain_text("regionale støtteapparatet")

    # The conversation is kept for the session: a reload shows it again.
    page.reload()
    sync_api.expect(page.locator("#conversation .turn-answer")).to_have_count(2)
    sync_api.expect(page.locator("#intro")).to_be_hidden()


def test_feedback_with_a_comment_is_stored(page: Any, server: LiveServer) -> None:
    answer = ask(page, PRIZE)
    answer_id = answer.get_attribute("data-answer-id")
    answer.locator(".fb-down").click()
    sync_api.expect(answer.locator(".fb-down")).to_have_attribute("aria-pressed", "true")
    comment = answer.locator(".fb-comment")
    sync_api.expect(comment).to_be_focused()
    comment.fill("Svaret sier ikke hvorfor Melhus vant.")
    with page.expect_response("**/api/feedback") as response_info:
        answer.locator(".fb-send").click()
    assert response_info.value.status == 201
    sync_api.expect(answer.locator(".fb-done")).to_contain_text("Takk")

    stored = [
        f for f in FeedbackStore(server.settings.feedback_path).list() if f.answer_id == answer_id
    ]
    assert len(stored) == 1
    assert stored[0].rating == "down"
    assert stored[0].comment == "Svaret sier ikke hvorfor Melhus vant."
    assert stored[0].question == PRIZE


def test_copy_answer_button_copies_the_answer_and_its_sources(page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    answer = ask(page, PRIZE)
    answer.locator("button.copy").click()
    sync_api.expect(answer.locator("button.copy")).to_contain_text("Kopiert")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Melhus" in copied and "Kilder:" in copied and "[1]" in copied


def test_busy_state_is_visible_while_waiting(page: Any) -> None:
    import time

    def slow(route: Any) -> None:
        time.sleep(0.8)  # a slow network, not a fake answer: the request still reaches the server
        route.continue_()

    page.route("**/api/ask/stream", slow)
    page.locator("#question").fill(PRIZE)
    page.locator("#question").press("Enter")
    sync_api.expect(page.locator("#busy")).to_be_visible()
    sync_api.expect(page.locator("#send")).to_be_disabled()
    sync_api.expect(page.locator("#conversation")).to_have_attribute("aria-busy", "true")
    sync_api.expect(page.locator("#conversation .turn-answer")).to_have_count(1)
    sync_api.expect(page.locator("#busy")).to_be_hidden()
    sync_api.expect(page.locator("#send")).to_be_enabled()


def test_shift_enter_makes_a_new_line_instead_of_sending(page: Any) -> None:
    box = page.locator("#question")
    box.click()
    page.keyboard.type("Første linje")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("andre linje")
    assert box.input_value() == "Første linje\nandre linje"
    assert page.locator("#conversation .turn").count() == 0


def test_errors_are_shown_in_place_in_norwegian(browser: Any, server: LiveServer) -> None:
    too_long = "Hvorfor " * 300  # over 2,000 characters, as a deep link can carry
    page = open_page(browser, server, path=f"/?q={too_long.strip()}")
    error = page.locator("#conversation .turn-error")
    sync_api.expect(error).to_contain_text("for langt")
    sync_api.expect(error.locator("button.retry")).to_be_visible()
    assert "Traceback" not in page.content()
    finish(page)


def test_example_questions_and_document_list_on_the_empty_page(page: Any) -> None:
    examples = page.locator("#intro .example")
    assert examples.count() >= 3
    docs = page.locator("#documents li")
    assert docs.count() == 5
    sync_api.expect(page.locator("#documents")).to_contain_text("Helsedirektoratet")
    sync_api.expect(page.locator("#documents")).to_contain_text("Årsrapport 2022")
    examples.first.click()
    sync_api.expect(page.locator("#conversation .turn-answer")).to_have_count(1)
    sync_api.expect(page.locator("#intro")).to_be_hidden()


def test_deep_links_ask_and_open_a_passage(browser: Any, server: LiveServer) -> None:
    with server.client() as c:
        chunk_id = c.post("/api/ask", json={"question": PRIZE}).json()["citations"][0]["chunk_id"]
    page = open_page(browser, server, path=f"/?passage={chunk_id}")
    sync_api.expect(page.locator("#passage-panel")).to_be_visible()
    sync_api.expect(page.locator("#passage-text")).to_contain_text("Melhus")
    finish(page)
    page = open_page(browser, server, path=f"/?q={UNRELATED}")
    sync_api.expect(page.locator("#conversation .turn-answer.is-not-found")).to_have_count(1)
    finish(page)
