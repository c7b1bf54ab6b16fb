# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FOLLOWTHROUGH_DEMO_DB := var/followthrough.sqlite3

.PHONY: demo test test-sqlite test-postgres bench chaos lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@bash scripts/demo.sh

test: $(STAMP)
	@bash scripts/test.sh

# The peers (APScheduler, django-tasks) come from the bench extra; wrk from apt if missing.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		echo "wrk is not installed: the web benchmark uses its Python load generator"
	$(BIN)/python -m bench

# The chaos tests at the issue's full figures (make test runs them scaled down).
chaos: $(STAMP)
	RELIABILITY_MESSAGES=5000 RELIABILITY_KILLS=10 RELIABILITY_OUTAGE_SECONDS=20 \
		$(BIN)/pytest -p no:warnings -v tests/reliability

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var
