# Two commands on a fresh machine: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install ingest serve check lint eval eval-lexical eval-gate norquad norquad-lexical figures browser-deps bench clean train-reader train-decision heldout-doc kill-loop ingest-while-serving bigfile-memory fuzz soak

$(STAMP): requirements.lock requirements-torch.txt pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Fant ikke $(PY). Installer Python 3.11."; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first, from its CPU build, so nothing pulls a CUDA build.
	$(BIN)/pip install -q -r requirements-torch.txt
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/lhl ingest

run: ingest
	$(BIN)/lhl serve

# Debian's Chromium for the browser tests (Playwright drives the system browser), DejaVu for
# the PDF the loader tests generate (tests/fixtures/flersidig.pdf is the fallback),
# and Microsoft's adaptivecards library (npm) to validate the Teams card.
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-dejavu-core; }
	@test -d tests/js/node_modules/adaptivecards || (cd tests/js && npm ci --no-audit --no-fund --silent)

test: install browser-deps
	$(BIN)/python -m pytest -q

check: install
	$(BIN)/ruff check lhl ingest assistant api eval cli bench tests scripts training
	$(BIN)/ruff format --check lhl ingest assistant api eval cli bench tests scripts training
	$(BIN)/mypy lhl ingest assistant api eval cli bench training

eval: ingest
	$(BIN)/lhl eval --out reports/known-facts

eval-lexical: ingest
	$(BIN)/lhl eval --reader off --out reports/known-facts-lexical

eval-gate: ingest
	$(BIN)/python scripts/eval_gate.py

norquad: install
	$(BIN)/lhl eval --norquad ../shared/benchmarks/norquad --split test --out reports/norquad-test

norquad-lexical: install
	$(BIN)/lhl eval --reader off --norquad ../shared/benchmarks/norquad --split test --out reports/norquad-test-lexical

# The reader model (models/reader/), in three seeded stages, each from the last one's weights
# (training/adapt_reader.py): NorQuAD's training split (~46 min on 2 cores with bf16 kernels,
# AVX512-BF16; ~2.5 h without), the Nordic reading data (~20 min), the everyday questions about
# the corpus (~15 min). Two document-held-out readers are trained beside the shipped one: their
# readings of the held-out document's questions fit the decision (make train-decision), and
# they give the document-held-out figure. Last, the shipped reader's int8 export for ONNX
# Runtime (models/reader/reader.onnx, ~30 s; needs `onnx`, the `export` extra, which serving
# does not): the reader ignores an export of other weights. Never part of `make test`.
STAGES := .lhl/stages
HELD_OUT_DOCS := gjennomforingsplan-trondelag arsrapport-2022-kap-2-4
train-reader: install
	$(BIN)/python -m training.train_reader --epochs 3 --threads 1 --out $(STAGES)/norquad
	$(BIN)/python -m training.adapt_reader --stage nordic --init $(STAGES)/norquad --out $(STAGES)/nordic
	for doc in $(HELD_OUT_DOCS); do \
	  $(BIN)/python -m training.adapt_reader --stage everyday --init $(STAGES)/nordic \
	    --hold-out-doc $$doc --out $(STAGES)/without-$$doc || exit 1; done
	$(BIN)/python -m training.adapt_reader --stage everyday --init $(STAGES)/nordic --out models/reader
	$(BIN)/pip install -q -r requirements-export.txt
	$(BIN)/python -m training.export_reader

# The answer's verifier (models/decision/): fit on the held-out documents' everyday questions
# as their held-out readers read them, and NorQuAD's held-out training articles (a few minutes).
train-decision: ingest
	$(BIN)/python -m training.heldout --out .lhl/reader-heldout
	$(BIN)/python -m training.fit_decision $(foreach d,$(HELD_OUT_DOCS),--case $(d)=$(STAGES)/without-$(d)) \
	  --norquad-reader $(STAGES)/without-$(firstword $(HELD_OUT_DOCS))
	$(BIN)/python -m training.decision_card

# The document-held-out figure (models/reader/MODEL_CARD.md): each held-out document's known
# facts, answered with the reader trained without its everyday questions.
heldout-doc: ingest
	for doc in $(HELD_OUT_DOCS); do \
	  LHL_READER_DIR=$(STAGES)/without-$$doc $(BIN)/lhl eval --out .lhl/heldout-$$doc && \
	  $(BIN)/python -m training.heldout_doc --report .lhl/heldout-$$doc --doc $$doc \
	    --out reports/heldout-$$doc.json || exit 1; \
	done

# Figures in the README's table come from the latest report files.
figures: install
	$(BIN)/python scripts/readme_figures.py

# Speed, memory and scale, printed and written to reports/bench (not timed tests; ~10 min).
bench: ingest
	nice $(BIN)/lhl bench --out reports/bench

# Ingest faults, printed (README: Feiltester for innlesingen). Scripts, not tests: minutes.
kill-loop: install
	$(BIN)/python scripts/kill_loop.py

ingest-while-serving: install
	$(BIN)/python scripts/ingest_while_serving.py

bigfile-memory: install
	$(BIN)/python scripts/bigfile_memory.py

# Request faults and load. `make fuzz`: every route fuzzed from the OpenAPI document with
# schemathesis, 2000 cases per route and mode (CI runs 25), from a fresh seed that is printed
# (rerun a failure with LHL_FUZZ_SEED=<seed>); about 5 minutes on 2 cores.
FUZZ_EXAMPLES ?= 2000
fuzz: install
	@seed=$${LHL_FUZZ_SEED:-$$(date +%s)}; echo "LHL_FUZZ_SEED=$$seed LHL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES)"; \
	LHL_FUZZ_SEED=$$seed LHL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

# `make soak`: 32 clients for 10 minutes against `lhl serve` (ask, search, signed Teams,
# feedback), memory every 30 s, SIGKILL and restart midway; prints its figures, exit 1 on a
# 5xx, a lost rating or a slow or changed restart. SOAK_ARGS="--minutes 2 --clients 8" etc.
soak: ingest
	$(BIN)/python scripts/soak.py $(SOAK_ARGS)

clean:
	rm -rf .lhl reports
