# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EPISODE ?= input/episodes/2026-w47.yaml
PYTEST_ARGS ?= -n 2

.PHONY: demo test test-setup lint typecheck bench bench-intelligibility clean studio screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

# Render the sample episode with no network (offline espeak-ng voice).
demo: $(VENV)/.installed
	$(BIN)/audio-pipeline render $(EPISODE)

# Install the test extras, lint, type-check and run the whole suite (offline).
test: test-setup lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The benchmark (bench/): tens of minutes; writes bench/RESULTS.md. Sizes and
# sections are options: `make bench BENCH_ARGS="--runs 5 --sections warm,ffmpeg"`, and
# `make bench BENCH_ARGS=--smoke` checks the harness in a minute.
BENCH_ARGS ?=
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

# The editors' web application on this project, at http://127.0.0.1:8765/ (README: Studio).
studio: $(VENV)/.installed
	$(BIN)/audio-pipeline studio

# The README's screenshots of the studio, taken by its browser test (docs/screenshots/).
screenshots: test-setup $(VENV)/.installed-test
	AUDIO_PIPELINE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/studio/test_browser.py

# Intelligibility on the air (bench/intelligibility.py): every sample episode rendered with
# the AM profiles and heard over the simulated channel; about 20 minutes; writes the
# intelligibility section of bench/RESULTS.md and bench/intelligibility.json.
bench-intelligibility: $(VENV)/.installed-test
	$(BIN)/python -m bench.intelligibility

# System packages the tests need (Debian's chromium and chromedriver); idempotent.
test-setup:
	bash scripts/test-setup.sh

lint: $(VENV)/.installed-test
	$(BIN)/ruff check audio_pipeline tests scripts bench
	$(BIN)/ruff format --check audio_pipeline tests scripts bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

clean:
	rm -rf output/*/ cache/ .pytest_cache bench/work/
