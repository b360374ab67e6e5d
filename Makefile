# Pantau: the two commands of the README, and a few helpers.
#   make demo   set up, run the pipeline once on the sample feed (embedded default), serve the dashboard
#   make test   set up, then run the whole test suite (what CI runs)
VENV ?= .venv
BIN := $(VENV)/bin
export PANTAU_DATA_DIR ?= $(CURDIR)/pantau-data
PORT ?= 8501

.PHONY: setup demo run dashboard test test-unit lint clean

setup:
	@bash infra/setup.sh

run: setup
	$(BIN)/pantau run --once

demo: run
	@echo "Demo users (sign in to the dashboard with one of these):"
	@$(BIN)/pantau users demo || true
	$(BIN)/pantau dashboard --port $(PORT)

dashboard: setup
	$(BIN)/pantau dashboard --port $(PORT)

test: setup
	bash infra/test.sh

test-unit: setup
	$(BIN)/python -m pytest -q -m "not integration and not browser" tests

clean:
	rm -rf pantau-data test-artifacts .pytest_cache
