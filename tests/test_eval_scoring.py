"""Scoring an answer against a question, summing results up, and the HTTP target that asks a
service (with the transport as the seam).
"""

from __future__ import annotations

import json

import httpx
import pytest
from eval_files import CONTRACT_SUMMARY, answer

from eval.questions import EvalQuestion
from eval.remote import HttpTarget, ServiceUnavailable
from eval.runner import AnswerError, run, score, summarize
from lhl.records import Turn


def test_matching_forgives_case_width_dashes_and_spacing() -> None:
    q = EvalQuestion(
        "q", "Hvilken periode?", expected=("Fase 1: 2019–2020",), evidence="Fase 1  FORBEREDELSE"
    )
    text = "FASE 1: ２０１９‐2020 [1]."  # full-width digits, another dash, other case
    r = score(q, answer(text, passages=("x", "fase 1\nforberedelse og oppstart")), 3.0)
    assert r.passed and r.matched == "Fase 1: 2019–2020" and r.evidence_citation == 2
    assert not score(q, answer("Fase 1: 2019 2020"), 3.0).passed


def test_every_failure_reason_is_given() -> None:
    q = EvalQuestion("q", "Hvor mange?", expected=("965",), evidence="965 abonnenter")
    r = score(q, answer("Det var mange [1].", passages=("ingen tall her",)), 1.0)
    assert not r.passed and r.evidence_found is False
    assert "forventet svar mangler" in r.reason and "ingen kilde inneholder beviset" in r.reason
    assert not score(q, answer("965", found=False, passages=("965 abonnenter",)), 1.0).passed
    unanswerable = EvalQuestion("u", "Hvem vant i 2019?", answerable=False)
    assert score(unanswerable, answer("Ikke funnet.", found=False), 1.0).passed
    assert "ikke svarer på" in score(unanswerable, answer("Melhus [1]."), 1.0).reason


def test_a_list_passes_only_whole_and_a_cut_list_counts_as_partial() -> None:
    q = EvalQuestion(
        "l",
        "Hvilke fem innsatsområder?",
        expected_all=("Mat og måltider", "Helsehjelp", "Et aldersvennlig Norge"),
    )
    whole = score(q, answer("1. Et aldersvennlig Norge 2. Mat og måltider 3. Helsehjelp [1]"), 1.0)
    assert whole.passed and not whole.partial and whole.missing == []
    cut = score(q, answer("1. Et aldersvennlig Norge [1]"), 1.0)
    assert not cut.passed and cut.partial
    assert cut.missing == ["Mat og måltider", "Helsehjelp"]
    assert "listen er ikke hel" in cut.reason and "«Helsehjelp»" in cut.reason
    none = score(q, answer("Noe annet [1]."), 1.0)
    assert not none.passed and not none.partial and "ingen av de forventede" in none.reason
    refused = score(q, answer("Fant ikke svaret.", found=False), 1.0)
    assert not refused.partial and refused.missing == []

    s = summarize([whole, cut, none])
    assert (s["list_questions"], s["partial"], s["answer_accuracy"]) == (3, 1, 0.3333)


def test_summary_counts_and_errors_count_as_failures() -> None:
    class Scripted:
        def ask(self, q: EvalQuestion) -> dict:
            if q.id == "err":
                raise AnswerError("tjenesten svarte med HTTP 500")
            return answer("Svaret er 965 [1].", found=q.answerable, passages=("965 abonnenter",))

    qs = [
        EvalQuestion("ok", "a?", expected=("965",), evidence="965"),
        EvalQuestion("miss", "b?", expected=("12",)),
        EvalQuestion("err", "c?", answerable=False),
        EvalQuestion("ref", "d?", answerable=False),
    ]
    results = run(Scripted(), qs)
    err = next(r for r in results if r.id == "err")
    assert not err.passed and err.error and err.reason.startswith("feil:")
    s = summarize(results)
    assert set(CONTRACT_SUMMARY) <= set(s)
    assert (s["answer_accuracy"], s["refusal_accuracy"], s["evidence_recall"]) == (0.5, 0.5, 1.0)
    assert (
        s["false_answer_rate"] == 0.0
        and s["errors"] == 1
        and s["answer_chars_median"] == len("Svaret er 965 [1].")
    )


# -- the HTTP target, with the transport as the seam -----------------------------------------
def test_http_target_posts_question_history_and_handles_errors() -> None:
    seen: list[dict] = []
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"ready": True, "mode": "extractive"})
        body = json.loads(request.content)
        seen.append(body)
        calls["n"] += 1
        if body["question"] == "for lang":
            return httpx.Response(
                400,
                json={"error": {"code": "ugyldig_sporsmal", "message": "Spørsmålet er for langt."}},
            )
        if calls["n"] == 1:
            return httpx.Response(
                429, headers={"Retry-After": "0"}, json={"error": {"code": "x", "message": "vent"}}
            )
        return httpx.Response(200, json=answer("Melhus [1].", passages=("Melhus kommune",)))

    q = EvalQuestion(
        "q",
        "Og året før?",
        expected=("Melhus",),
        history=(Turn("user", "Hvem vant?"), Turn("assistant", "Melhus.")),
    )
    with HttpTarget("http://svc.test/", transport=httpx.MockTransport(handler)) as target:
        assert target.wait_ready()["mode"] == "extractive"
        results = run(target, [q, EvalQuestion("long", "for lang", expected=("x",))])
    assert results[0].passed and seen[0] == seen[1]  # retried after the 429
    assert seen[0]["history"] == [
        {"role": "user", "content": "Hvem vant?"},
        {"role": "assistant", "content": "Melhus."},
    ]
    assert "mode" not in seen[0]
    assert results[1].reason == "feil: Spørsmålet er for langt. (HTTP 400)"


def test_http_target_stops_when_service_is_down_or_failed() -> None:
    with HttpTarget("http://127.0.0.1:9", timeout_s=2) as target:  # discard port: nothing listens
        with pytest.raises(ServiceUnavailable) as down:
            target.ask(EvalQuestion("q", "Hva?", expected=("a",)))
    assert "Får ikke kontakt med tjenesten på http://127.0.0.1:9" in down.value.message

    def failed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503,
            json={
                "ready": False,
                "state": "failed",
                "error": {"code": "x", "message": "Indeksen er ødelagt."},
            },
        )

    with HttpTarget("http://svc.test", transport=httpx.MockTransport(failed)) as target:
        with pytest.raises(ServiceUnavailable) as failed_start:
            target.wait_ready(timeout_s=30)
    assert "Indeksen er ødelagt" in failed_start.value.message
