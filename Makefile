# The two commands of the README: `make run` (the demo console) and `make test`.
# Each makes .venv with the machine's python3 when it is missing or stale, installs the
# project into it, then runs.
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test venv bench lint clean

venv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "warroom needs Python 3.11 or newer as $(PYTHON)"; exit 1; }
	@if ! $(VENV)/bin/python -c 'import sys' >/dev/null 2>&1; then \
	  rm -rf $(VENV); echo "creating $(VENV)"; $(PYTHON) -m venv $(VENV) || exit 1; rm -f $(STAMP); fi
	@if [ ! -f $(STAMP) ] || [ pyproject.toml -nt $(STAMP) ] || \
	  ! $(VENV)/bin/python -c 'import app.cli, data.engine.store, textual, pytest' >/dev/null 2>&1; then \
	  echo "installing warroom into $(VENV)"; \
	  $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' || exit 1; \
	  touch $(STAMP); fi

run: venv
	$(VENV)/bin/warroom demo

test: venv
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check app data screens widgets tests bench
	$(VENV)/bin/ruff format --check app data screens widgets tests bench
	$(VENV)/bin/mypy --cache-dir=/dev/null
	$(VENV)/bin/python -m pytest

bench: venv
	$(VENV)/bin/python bench/ingest.py

lint: venv
	$(VENV)/bin/ruff check app data screens widgets tests bench
	$(VENV)/bin/mypy --cache-dir=/dev/null

clean:
	rm -rf $(VENV) .warroom-demo .pytest_cache
