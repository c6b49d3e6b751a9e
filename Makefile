# Two commands: `make run` serves the app on http://127.0.0.1:$(PORT); `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Local development: debug mode (the dev SECRET_KEY is accepted) unless FLASK_DEBUG=0.
FLASK := FLASK_DEBUG=$${FLASK_DEBUG:-1} $(BIN)/flask --app wsgi

.PHONY: run test lint format bench clean setup

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

setup: $(BIN)/activate
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

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/activate
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/screening.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
