# Two commands do all set-up on a fresh machine (Python 3.11 and Node present):
#   make synth   synthesizes the example app into cdk.out/
#   make test    runs the whole test suite
#   make docs    builds the API reference from the docstrings into site/
# make synth ARGS="-c key=value" passes ARGS to cdk synth (context, --strict, a stack name, ...).
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# Node 22 and the CDK CLI come from package.json; jsii and the CLI both find them on PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(BIN):$(PATH)

.PHONY: synth test docs bench clean service-model

ARGS ?=

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-docs.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

synth: $(VENV)/.installed node_modules/.installed
	cdk synth --quiet $(ARGS)
	@echo "Templates written to cdk.out/"

# The lint and the type check first (seconds; ruff and mypy read their settings from pyproject.toml), then the
# benchmark's quick mode (small sizes, about a minute, results in a temporary folder): it runs every
# module of bench/, so a change that breaks the benchmark fails here instead of at the next `make bench`.
test: $(VENV)/.installed node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m bench.run --quick
	$(BIN)/python -m pytest -n 2

# The documentation pages and the API reference, from the docstrings (MkDocs Material + mkdocstrings), strict:
# a warning fails it. It needs only requirements-docs.txt and the package itself (no deps), not the dev install.
$(VENV)/.docs-installed: requirements-docs.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-docs.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site
	@echo "Documentation written to site/ (open site/index.html)"

# The scaling benchmark (about 8 minutes on an idle machine). Results go to bench/results/.
# BENCH_ARGS passes options to bench.run, e.g. BENCH_ARGS="--quiet-cpu-wait 5" on a machine others share.
BENCH_ARGS ?=
bench: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules cdk.out build dist site constructs/*.egg-info

# Refresh the HealthOmics model the handler ships from the botocore pinned in requirements-dev.txt.
service-model: $(VENV)/.installed
	cp "$$($(BIN)/python -c 'import botocore, pathlib; print(pathlib.Path(botocore.__file__).parent)')/data/omics/2022-11-28/service-2.json.gz" constructs/healthomics_run/run_model/models/omics/2022-11-28/
