# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project when setup.py or pyproject.toml changed.

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
DAGSTER := $(VENV)/bin/dagster
INSTALLED := $(VENV)/.installed

export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: setup demo run test dev clean

setup: $(INSTALLED)

$(INSTALLED): setup.py pyproject.toml
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

# Generate the demo exports unless a MongoDB or another export directory is configured.
demo: setup
	@if [ -z "$$MOMENTS_MONGO_URI" ] && [ -z "$$MOMENTS_EXPORT_DIR" ]; then \
		$(PYTHON) -m moment_pipelines.demo --out data/demo --if-missing; \
	fi

# A run killed earlier (kill -9, out of memory) keeps its warehouse pool slot, and this
# run would wait for it forever, so moment_pipelines.recovery first marks such runs failed.
run: demo
	$(PYTHON) -m moment_pipelines.recovery
	$(DAGSTER) job execute -m moment_pipelines -a defs -j main_job
	@$(PYTHON) -m moment_pipelines.summary

test: setup
	$(PYTHON) -m pytest

dev: setup
	$(DAGSTER) dev -h 127.0.0.1 -p 3000

clean:
	rm -rf data/warehouse.duckdb data/warehouse.duckdb.wal data/artifacts
