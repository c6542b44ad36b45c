"""The README's operator examples (Azure OpenAI, vLLM, Ollama), run against the stand-in:
each block's settings, with its host swapped for the stand-in's, gives a generative answer,
and the request carries what that server needs (path, api-version, key header)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from standin_llm import StandinLLM

from assistant.service import Assistant
from lhl.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
PRIZE = "Hvilken kommune fikk Leve hele livet-prisen for 2022?"


def operator_examples() -> dict[str, dict[str, str]]:
    """The sh blocks of the README's language-model section, by the server they name."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Svar fra en språkmodell", 1)[1].split("\n## ", 1)[0]
    examples: dict[str, dict[str, str]] = {}
    for intro, block in re.findall(r"((?:[^\n]+\n)+)\n```sh\n(.*?)```", section, re.DOTALL):
        name = intro.split()[0]
        examples[name] = dict(
            line.split("=", 1) for line in block.splitlines() if line.startswith("LHL_")
        )
    return examples


def test_the_readme_has_the_three_examples() -> None:
    assert set(operator_examples()) == {"Azure", "vLLM", "Ollama"}


@pytest.mark.parametrize("server", ["Azure", "vLLM", "Ollama"])
def test_an_operator_example_works(server: str, hash_index: Settings) -> None:
    env = operator_examples()[server]
    url = urlsplit(env["LHL_LLM_BASE_URL"])
    with StandinLLM() as llm:
        llm.reply = lambda r: (
            f"Prisen for 2022 gikk til Melhus kommune [{r.passage_with('Melhus')}]."
        )
        settings = hash_index.model_copy(
            update={
                "llm_base_url": f"http://127.0.0.1:{llm.port}{url.path}",
                "llm_model": env["LHL_LLM_MODEL"],
                "llm_api_key": env.get("LHL_LLM_API_KEY"),
                "llm_api_version": env.get("LHL_LLM_API_VERSION"),
            }
        )
        assistant = Assistant(settings)
        assistant.load()
        answer = assistant.ask(PRIZE)
    assert answer.mode == "generative", answer.grounding
    [request] = llm.requests
    assert request.model == env["LHL_LLM_MODEL"]
    assert request.path.startswith(f"{url.path.rstrip('/')}/chat/completions")
    if server == "Azure":
        assert f"api-version={env['LHL_LLM_API_VERSION']}" in request.path
        assert request.headers["api-key"] == env["LHL_LLM_API_KEY"]
