# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | md5sum | cut -c1-8)

.PHONY: run test fuzz lint format bench messages install clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Every version comes from the lock file (used as constraints): make run, make test, CI and the Containerfile
# install the same set. `make lock` re-resolves it on purpose after a change of pyproject.toml.
$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/pip install -q -c $(LOCK) -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP)

lock: $(BIN)/python
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 -o $(LOCK)

## make run: embedded PostgreSQL under ./var, migrations, demo data the first time, http://127.0.0.1:8000
run: install
	@if [ -z "$$CRM_DATABASE_URL" ] && ! $(BIN)/python -c 'import pgserver' 2>/dev/null; then \
	  echo "The embedded PostgreSQL (pgserver) needs CPython 3.11 or 3.12 here; set CRM_DATABASE_URL to your own server."; exit 1; fi
	$(BIN)/crm database upgrade --no-prompt
	@mkdir -p var; if [ ! -f var/.demo-loaded ]; then $(BIN)/crm demo load && touch var/.demo-loaded; fi
	@echo ""; echo "  CRM is starting on http://127.0.0.1:8000 — sign in as admin@example.com / crm-demo-2026"; \
	 echo "  (other demo accounts: head@, manager@, operator@, telegraph@, billing@example.com, same password)"; echo ""
	$(BIN)/crm run --host 127.0.0.1 --port 8000

## make test: the whole suite on real PostgreSQL, Redis, SMTP and Chromium
test: install
	$(BIN)/python -m playwright --version >/dev/null
	$(BIN)/pytest -q -p no:cacheprovider

## make fuzz: the API fuzz test (schemathesis) with more cases per operation than the suite's 30
fuzz: install
	CRM_FUZZ_EXAMPLES=$${CRM_FUZZ_EXAMPLES:-200} $(BIN)/pytest -q -p no:cacheprovider tests/integration/test_fuzz_api.py

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/run_all.py

## make messages: extract every gettext string and merge it into the ru/en catalogues
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k NP_:1c,2 -k gettext -k ngettext:1,2 -k lazy_gettext -o src/crm/locale/messages.pot --no-location --sort-output src/crm
	$(BIN)/pybabel update -i src/crm/locale/messages.pot -d src/crm/locale --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
