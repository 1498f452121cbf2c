# Crestwatch: `make demo` and `make test` are the two commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

export PYTHON

.PHONY: setup system-deps demo test test-fast test-latest lint lock bench fresh-check clean \
	es-start es-stop

# Installs come from the hashed locks in requirements/ (scripts/install.sh); `make lock` writes them.
$(BIN)/.demo-installed: pyproject.toml requirements/demo.lock scripts/install.sh
	bash scripts/install.sh demo
	touch $@

$(BIN)/.installed: pyproject.toml requirements/test.lock scripts/install.sh
	bash scripts/install.sh test
	touch $@ $(BIN)/.demo-installed

# Debian packages for OCR, PDF rendering, the report's screenshots and the local Elasticsearch.
system-deps:
	bash scripts/install-system-deps.sh
	bash scripts/install-compose-plugin.sh

setup: system-deps $(BIN)/.installed

demo: $(BIN)/.demo-installed
	$(BIN)/crestwatch run --demo

test: setup
	bash scripts/run-tests.sh

test-fast: $(BIN)/.installed
	$(BIN)/pytest -m "not integration and not slow" -q

# The newest releases inside pyproject's ranges, in .venv-latest: which upgrade breaks what.
test-latest: system-deps $(BIN)/.installed
	bash scripts/test-latest.sh

# Refresh the locks (UPGRADE=1: newest releases inside pyproject's ranges; commit that alone).
lock:
	bash scripts/install.sh tools
	bash scripts/lock.sh

# A clean clone with empty caches and a clean HOME: make demo, then make test, timed.
fresh-check:
	bash scripts/fresh-machine-check.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check pipeline detectors dags dashboards tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BIN)/.installed
	bash scripts/run-benchmarks.sh

es-start:
	bash scripts/elasticsearch.sh start

es-stop:
	bash scripts/elasticsearch.sh stop

clean:
	bash scripts/elasticsearch.sh stop || true
	rm -rf $(VENV) .venv-latest data .cache
