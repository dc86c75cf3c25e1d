# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
BACKEND := backend
VENV := $(BACKEND)/.venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev lint typecheck test-postgres test-sqlite clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime dependencies, plus the project itself (the `vaultra` command).
$(VENV)/.installed: $(BIN)/python $(BACKEND)/requirements.txt $(BACKEND)/pyproject.toml
	$(BIN)/pip install --quiet -r $(BACKEND)/requirements.txt
	$(BIN)/pip install --quiet --no-deps -e $(BACKEND)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed $(BACKEND)/requirements-dev.txt
	$(BIN)/pip install --quiet -r $(BACKEND)/requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	cd $(BACKEND) && .venv/bin/vaultra db upgrade && .venv/bin/vaultra serve

lint: install-dev
	cd $(BACKEND) && .venv/bin/ruff check app stripe_sandbox tests && .venv/bin/ruff format --check app stripe_sandbox tests

typecheck: install-dev
	cd $(BACKEND) && .venv/bin/mypy app

# The whole suite on PostgreSQL, then again on SQLite (the embedded default).
test-postgres: install-dev
	cd $(BACKEND) && VAULTRA_TEST_DB=postgres .venv/bin/python -m pytest

test-sqlite: install-dev
	cd $(BACKEND) && VAULTRA_TEST_DB=sqlite .venv/bin/python -m pytest

test: lint typecheck test-postgres test-sqlite

clean:
	rm -rf $(VENV) $(BACKEND)/data
