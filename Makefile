# Crestwatch: `make demo` and `make test` are the two commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup system-deps demo test test-fast lint bench clean es-start es-stop

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Debian packages for OCR, PDF rendering, the report's screenshots and the local Elasticsearch.
system-deps:
	bash scripts/install-system-deps.sh
	bash scripts/install-compose-plugin.sh

setup: system-deps $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/crestwatch run --demo

test: setup
	bash scripts/run-tests.sh

test-fast: $(BIN)/.installed
	$(BIN)/pytest -m "not integration and not slow" -q

lint: $(BIN)/.installed
	$(BIN)/ruff check pipeline detectors dags dashboards tests bench
	$(BIN)/mypy

bench: $(BIN)/.installed
	bash scripts/run-benchmarks.sh

es-start:
	bash scripts/elasticsearch.sh start

es-stop:
	bash scripts/elasticsearch.sh stop

clean:
	bash scripts/elasticsearch.sh stop || true
	rm -rf $(VENV) data .cache
