# The two quick-start commands, and the rest of the daily loop.
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: run test lint bench setup

# Seed the sample raw extracts and run the pipeline on the embedded defaults
# (local lake ./lake, DuckDB warehouse in ./.sfn-etl, local engine).
run:
	@bash setup.sh
	$(VENV)/sfn-etl seed --scale 0.01 --batches 3
	$(VENV)/sfn-etl run

# Everything the tests need (dev extras, checkov, a throwaway PostgreSQL), then the tests.
test:
	@bash setup.sh --test
	@eval "$$(bash tests/postgres.sh start)" && $(VENV)/pytest -q

lint:
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

bench:
	@bash setup.sh --test
	@eval "$$(bash tests/postgres.sh start)" && for b in bench/bench_*.py; do $(VENV)/python $$b; done
