# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: what running needs (`make demo`), and the test toolchain on top of it
# (`make test`, `make bench`, ...). A demo never waits for pytest, Playwright or ruff.
RUNTIME := $(VENV)/.installed-runtime
TESTTOOLS := $(VENV)/.installed-test
export FOLLOWTHROUGH_DEMO_DB := var/followthrough.sqlite3
# `PORT=8101 make demo` serves the demo there.
PORT ?= 8000
export PORT

.PHONY: demo test test-sqlite test-postgres bench chaos lint clean

# A current pip: the one a new venv comes with (23.2 on Debian 12) needs half as much CPU
# again to install the same packages (29 s against 19 s here).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $(RUNTIME)

$(TESTTOOLS): $(RUNTIME)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(TESTTOOLS)

demo: $(RUNTIME)
	@bash scripts/demo.sh

test: $(TESTTOOLS)
	@bash scripts/test.sh

# The peers (APScheduler, django-tasks) come from the bench extra; wrk from apt if missing.
bench: $(TESTTOOLS)
	$(BIN)/pip install --quiet -e '.[bench]'
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		echo "wrk is not installed: the web benchmark uses its Python load generator"
	$(BIN)/python -m bench

# The chaos tests at the issue's full figures (make test runs them scaled down).
chaos: $(TESTTOOLS)
	RELIABILITY_MESSAGES=5000 RELIABILITY_KILLS=10 RELIABILITY_OUTAGE_SECONDS=20 \
		$(BIN)/pytest -p no:warnings -v tests/reliability

lint: $(TESTTOOLS)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var

# Compare two `make bench` runs side by side (default: the last two, bench/results/);
# flags any figure more than 20% worse. OLD=... NEW=... compare other result files.
.PHONY: bench-compare
bench-compare: $(STAMP)
	$(BIN)/python -m bench.results $(OLD) $(NEW)
