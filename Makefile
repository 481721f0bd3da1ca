PY ?= .venv/bin/python

.PHONY: help install test quick lint report validate bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install:  ## create .venv and install the package with test and dev extras
	python3 -m venv .venv && .venv/bin/pip install -q -e ".[dev]"

test:  ## run the test suite on every core (same as .ci/run)
	$(PY) -m pytest -q -n auto

quick:  ## the suite without the end-to-end tests (e2e) and the fresh-venv test (slow)
	$(PY) -m pytest -q -n auto -m "not slow and not e2e"

lint:  ## ruff over the package and tests
	$(PY) -m ruff check tuoyu_model tests

validate:  ## check every data and scenario file
	$(PY) -m tuoyu_model validate

report:  ## run the baseline scenario report into outputs/baseline/
	$(PY) -m tuoyu_model run baseline

bench:  ## run the benchmarks in tests/benchmarks/
	for f in tests/benchmarks/bench_*.py; do $(PY) $$f; done

clean:  ## remove generated outputs and caches
	find outputs -mindepth 1 ! -name README.md -exec rm -rf {} +; rm -rf .pytest_cache .ruff_cache
