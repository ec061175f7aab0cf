# The two commands of README.rst: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# .ci/run adds the libvirt extra: TEST_EXTRAS=test,libvirt
TEST_EXTRAS ?= test
comma := ,
TEST_STAMP := $(VENV)/.installed-$(subst $(comma),-,$(TEST_EXTRAS))
BENCH_STAMP := $(VENV)/.installed-bench
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: run test unit lint format xsd docs bench bench-soak clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "needs Python 3.11 (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet -e '.[$(TEST_EXTRAS)]'
	touch $@ $(STAMP)

run: $(STAMP)
	@echo "Demo credentials: demo / demo (role user). Open http://127.0.0.1:8080/api/ in a browser, or try: curl -u demo:demo http://127.0.0.1:8080/api/"
	$(BIN)/abiq init --demo
	$(BIN)/abiq serve --host 127.0.0.1 --port 8080

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The unit tier: pure objects, no server, no database; a few seconds.
unit: $(TEST_STAMP)
	$(BIN)/python -m pytest tests/unit -q $(PYTEST_ARGS)

$(BENCH_STAMP): $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@ $(STAMP)

# Figures, never pass/fail: see docs/performance.rst.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

bench-soak: $(BENCH_STAMP)
	$(BIN)/python -m bench.run --soak

lint: $(TEST_STAMP)
	$(BIN)/ruff check abiq tests bench
	$(BIN)/ruff format --check abiq tests bench

format: $(TEST_STAMP)
	$(BIN)/ruff format abiq tests bench
	$(BIN)/ruff check --fix abiq tests bench

xsd: $(STAMP)
	$(BIN)/python -m abiq.xsdgen

$(DOCS_STAMP): $(BIN)/python setup.cfg
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $@ $(STAMP)

# -W --keep-going: every warning is reported, and any one fails the build;
# -E: every page is read again, else a second run skips the unchanged page
# whose warning failed the first one, and passes.
docs: $(DOCS_STAMP)
	$(BIN)/python -m sphinx -E -W --keep-going -q -b html docs docs/_build/html
	@echo "docs/_build/html/index.html"

clean:
	rm -rf $(VENV) var *.egg-info docs/_build
