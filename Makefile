# The two commands: `make run` (demo gateway and order desk on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GATEWAY_HOME ?= $(CURDIR)/var
# The suite in three processes (pytest-xdist): its tests mostly wait on servers and children, so
# three keep two cores busy. Idle workers take tests from busy ones, so one long test does not
# hold the others back. `make test PYTEST_PARALLEL=` runs it in one process.
PYTEST_PARALLEL ?= -n 3 --dist worksteal
# Python writes its bytecode (gitignored __pycache__), even where the environment says not to:
# otherwise every test process rewrites and compiles all the test modules again (pytest's
# collection: about 23 s of CPU where 9 s reads them back) and every child compiles the gateway.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint bench clean compiled

# The X12 reading and validating paths' own modules compiled with mypyc (scripts/build_compiled.py lists them):
# about 17% fewer instructions per PO read (README, issue 18, sixth round). The script rebuilds
# whenever a listed source differs from the one its extensions were built from (an extension
# shadows its .py), and does nothing otherwise; importing `parsers` refuses a source edited since
# (parsers/_compiled.py). The suite needs the build (gcc, and the Python headers, come with
# scripts/system-packages.sh); the demo and the bench fall back to the pure Python modules on a
# machine without a compiler.
compiled: $(BIN)/.installed
	$(BIN)/python scripts/build_compiled.py

# pip prints its own progress: the first install downloads and builds for a few minutes.
$(BIN)/.installed: pyproject.toml
	@echo "== 1/3 creating the virtualenv in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "== 2/3 upgrading pip"
	$(BIN)/python -m pip install --progress-bar off --upgrade pip
	@echo "== 3/3 installing the gateway and its dependencies (first time: a few minutes)"
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	touch $@
	@echo "== installed"

run: $(BIN)/.installed
	$(BIN)/python scripts/build_compiled.py --if-possible
	$(BIN)/gateway init --demo
	@echo "order desk: http://$${GATEWAY_HOST:-127.0.0.1}:$${GATEWAY_PORT:-8080}  (stop with Ctrl-C)"
	$(BIN)/gateway run

# The collection beside mypy only writes bytecode: a collection error is reported by the pytest run
# that follows it.
# The compiled modules are built beside mypy (mypyc keeps a mypy cache of its own); pytest starts
# once both are done.
test: $(BIN)/.installed
	scripts/system-packages.sh $(BIN)/python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "== mypy and the compiled modules; meanwhile pytest collects the suite once, writing its bytecode for the test processes"
	$(BIN)/python scripts/build_compiled.py & building=$$!; \
	$(BIN)/python -m pytest --collect-only -q -p no:cacheprovider >/dev/null & collecting=$$!; \
	$(BIN)/mypy; checked=$$?; wait $$building; built=$$?; wait $$collecting || true; \
	[ $$checked -eq 0 ] && [ $$built -eq 0 ]
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

bench: $(BIN)/.installed
	$(BIN)/python scripts/build_compiled.py --if-possible
	$(BIN)/python -m bench

clean:
	$(PYTHON) scripts/build_compiled.py --remove
	rm -rf $(VENV) var build
