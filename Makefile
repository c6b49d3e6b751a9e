# Two commands: `make run` serves the app on http://127.0.0.1:$(PORT); `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

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

run: setup
	FLASK_DEBUG=$${FLASK_DEBUG:-1} $(FLASK) run --host 127.0.0.1 --port $(PORT)

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
