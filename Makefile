# Two commands matter: `make evaluate` and `make test`. Both set everything up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PARAMS ?= params/default.yaml

.PHONY: setup evaluate test test-all test-fast bench lab dictionary docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# The kernel every notebook names is `python3`; register it inside the venv so it runs this interpreter.
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (jinlin)" >/dev/null
	touch $(STAMP)

evaluate: $(STAMP)
	$(BIN)/jinlin run --params $(PARAMS)

# The CI suite: everything but the long Monte Carlo and end-to-end variants (`make test-all` runs those too).
# It reports its own duration: pytest's 15 slowest tests, then the wall time of the whole target (set-up included).
# One worker per core (pytest-xdist), each test file on one worker: nbval's cells of a notebook run in order, and a
# module's fixtures are built once. Files go to the workers in collection order, which tests/conftest.py sets longest
# first (--no-loadscope-reorder: xdist would otherwise start the files with the most tests first and leave the few
# long ones to the end). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(STAMP)
	@start=$$(date +%s); $(BIN)/python -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15; rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s in total (pytest exit status $$rc)"; exit $$rc

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not notebook" tests

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

dictionary: $(STAMP)
	$(BIN)/jinlin dictionary

# The API reference → site/ (offline; tests/test_docs_build.py runs the same build in `make test`).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) reports site .pytest_cache
