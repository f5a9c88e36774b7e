# agentgate — `make run` serves the bundled workflows, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run shell test bench eval validate schema clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install agentgate with its test tools

run: $(STAMP) ## serve workflows/ on http://127.0.0.1:8000/v1 (settings: AGENTGATE_*)
	@echo "The agentgate command is $(BIN)/agentgate: run '. $(BIN)/activate' (or 'make shell')"
	@echo "to have it on the PATH, e.g. for 'agentgate validate' or 'agentgate describe NAME'."
	@$(BIN)/agentgate serve

shell: $(STAMP) ## start a shell with .venv active, so the agentgate command is on the PATH
	@echo "agentgate is on the PATH in this shell; type 'exit' to leave it."
	@VIRTUAL_ENV="$(CURDIR)/$(VENV)" PATH="$(CURDIR)/$(BIN):$$PATH" $${SHELL:-/bin/sh}

test: $(STAMP) ## run the test suite
	$(BIN)/python -m pytest -q

bench: $(STAMP) ## run the benchmarks in tests/bench (ratios, not a pass/fail gate)
	$(BIN)/python -m pytest -q -s tests/bench -p no:cacheprovider

eval: $(STAMP) ## score the reader on tests/conversations (AGENTGATE_LLM_BASE_URL: with that LLM)
	$(BIN)/agentgate eval tests/conversations $(ARGS)

validate: $(STAMP) ## check the workflow files (or ARGS='path/to/file.json')
	@$(BIN)/agentgate validate $(ARGS)

schema: $(STAMP) ## print the JSON Schema of workflow files
	@$(BIN)/agentgate schema

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache *.egg-info
