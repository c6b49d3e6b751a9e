# Two commands: `make run` serves the app on http://127.0.0.1:$(PORT); `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Local development: debug mode (the dev SECRET_KEY is accepted) unless FLASK_DEBUG=0.
FLASK := FLASK_DEBUG=$${FLASK_DEBUG:-1} $(BIN)/flask --app wsgi

.PHONY: run test lint format bench clean setup admin lock

# The runtime packages (requirements.txt) are all `make run` needs; `make test` adds the test and
# lint tools (requirements-dev.txt). Both are locked with hashes (`make lock`), so pip refuses a
# package that differs from the one reviewed.
$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $(BIN)/activate

DEV_TOOLS := $(VENV)/.dev-tools
$(DEV_TOOLS): $(BIN)/activate requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $(DEV_TOOLS)

# .env (git-ignored; read by `flask` commands and wsgi.py in this folder) holds a random
# SECRET_KEY for this checkout, so commands typed by hand work without debug mode. A server
# takes its settings from its environment (/etc/intake/env), never from this file.
.env:
	@printf '# Written by `make`: settings for this checkout only. Never copy it to a server.\nSECRET_KEY=%s\n' \
	  "$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')" > .env
	@echo "wrote .env (a random SECRET_KEY for local commands)"

setup: $(BIN)/activate .env
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) rules seed

# Links in emails point at this server's port unless BASE_URL is set.
RUN_ENV = BASE_URL=$${BASE_URL:-http://127.0.0.1:$(PORT)}

# Plain http on 127.0.0.1, so the session cookie may go without TLS here (not in production).
# An outbox worker runs beside the server, so emails appear (as .eml files in instance/mail/
# unless MAIL_SERVER is set); it stops with the server.
run: setup
	@$(RUN_ENV) $(FLASK) outbox work --interval 2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) SESSION_COOKIE_SECURE=$${SESSION_COOKIE_SECURE:-false} \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

lint: $(DEV_TOOLS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV_TOOLS)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup $(DEV_TOOLS) lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/screening.py

# The first staff account: `make admin EMAIL=you@clinic` asks for its password twice.
admin: setup
	@test -n "$(EMAIL)" || { echo 'Say whose account: make admin EMAIL=you@clinic.example'; exit 2; }
	$(FLASK) staff create "$(EMAIL)" --role admin

# After changing a pin in requirements.in or requirements-dev.in: lock both again, with hashes.
# The lock files never name this machine's package mirrors: pip reads those from its own config.
# `make lock UPGRADE=--upgrade` also moves every unpinned dependency to its newest release.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(UPGRADE)
lock: $(BIN)/activate
	$(BIN)/pip install --quiet pip-tools==7.6.2
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache .hypothesis test-artifacts
