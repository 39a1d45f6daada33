# The two commands: `make run` (demo gateway and order desk on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GATEWAY_HOME ?= $(CURDIR)/var

.PHONY: run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/gateway init --demo
	@echo "order desk: http://$${GATEWAY_HOST:-127.0.0.1}:$${GATEWAY_PORT:-8080}  (stop with Ctrl-C)"
	$(BIN)/gateway run

test: $(BIN)/.installed
	scripts/system-packages.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var
