# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
BACKEND := backend
VENV := $(BACKEND)/.venv
BIN := $(VENV)/bin
FRONTEND := frontend
NPM := $(shell command -v npm 2>/dev/null)
# What the build depends on; an unchanged tree rebuilds nothing (stamp files).
WEB_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/astro.config.mjs $(FRONTEND)/tsconfig.json
WEB_MODULES := $(FRONTEND)/node_modules/.installed
WEB_BUILD := $(FRONTEND)/dist/index.html

.PHONY: run test install install-dev lint typecheck test-postgres test-sqlite fuzz clean web test-web \
	lock lock-check

# pip shows its progress: a first install takes a minute or more.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

# Runtime dependencies (the lock), plus the project itself (the `vaultra` command).
$(VENV)/.installed: $(BIN)/python $(BACKEND)/requirements.txt $(BACKEND)/pyproject.toml
	$(BIN)/pip install -r $(BACKEND)/requirements.txt
	$(BIN)/pip install --no-deps -e $(BACKEND)
	touch $@

# The dev lock: the runtime pins plus test, lint and lock tools.
$(VENV)/.installed-dev: $(VENV)/.installed $(BACKEND)/requirements-dev.txt
	$(BIN)/pip install -r $(BACKEND)/requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(WEB_MODULES): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $@

$(WEB_BUILD): $(WEB_MODULES) $(WEB_SOURCES)
	cd $(FRONTEND) && npx astro build
	touch $@

# The web app, served by the API at the same origin. Without npm, `make run` serves the API only.
ifeq ($(NPM),)
web:
	@echo "No npm: serving the API only. For the web app, install Node.js 20+ with npm and run make run again."
else
web: $(WEB_BUILD)
endif

# Serves on $PORT (default 8000; any port works, the app's URLs follow it).
run: install web
	cd $(BACKEND) && .venv/bin/vaultra db upgrade && .venv/bin/vaultra serve

# The whole repository, bench/ included, with the root's ruff.toml.
lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# The locks (requirements.txt, requirements-dev.txt) from pyproject.toml's dependencies. Pins
# already in a lock are kept; LOCK_ARGS="--upgrade-package NAME" moves one on.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(abspath $(BIN))/pip-compile --quiet \
	--strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS)
define compile_locks
	cd $(1) && $(PIP_COMPILE) --output-file requirements.txt pyproject.toml
	cd $(1) && $(PIP_COMPILE) --extra dev --constraint requirements.txt \
		--output-file requirements-dev.txt pyproject.toml
endef

lock: install-dev
	$(call compile_locks,$(BACKEND))

# Fails when `make lock` would change a lock (it asks the package index, unlike
# backend/tests/core/test_dependencies.py, which `make test` runs).
LOCK_CHECK_DIR := $(shell mktemp -d -u /tmp/vaultra-lock-check.XXXXXX)
lock-check: install-dev
	mkdir -p $(LOCK_CHECK_DIR)
	cp $(BACKEND)/pyproject.toml $(BACKEND)/requirements.txt $(BACKEND)/requirements-dev.txt $(LOCK_CHECK_DIR)/
	$(call compile_locks,$(LOCK_CHECK_DIR))
	diff -u $(BACKEND)/requirements.txt $(LOCK_CHECK_DIR)/requirements.txt
	diff -u $(BACKEND)/requirements-dev.txt $(LOCK_CHECK_DIR)/requirements-dev.txt
	rm -rf $(LOCK_CHECK_DIR)

typecheck: install-dev
	cd $(BACKEND) && .venv/bin/mypy app

# The whole suite on PostgreSQL, then again on SQLite (the embedded default).
test-postgres: install-dev
	cd $(BACKEND) && VAULTRA_TEST_DB=postgres .venv/bin/python -m pytest

test-sqlite: install-dev
	cd $(BACKEND) && VAULTRA_TEST_DB=sqlite .venv/bin/python -m pytest

# Type check and unit-test the web app, then build it for the browser tests in the Python suite.
test-web: $(WEB_MODULES)
	cd $(FRONTEND) && npx astro check && npx vitest run
	$(MAKE) $(WEB_BUILD)

test: lint typecheck test-web test-postgres test-sqlite

# The suite's schemathesis run (tests/fuzz, 30 examples per operation and phase) made longer.
FUZZ_EXAMPLES ?= 500
FUZZ_SEED ?= 14
fuzz: install-dev
	cd $(BACKEND) && VAULTRA_TEST_DB=postgres VAULTRA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
		VAULTRA_FUZZ_SEED=$(FUZZ_SEED) .venv/bin/python -m pytest tests/fuzz

clean:
	rm -rf $(VENV) $(BACKEND)/data $(FRONTEND)/node_modules $(FRONTEND)/dist
