# Cliniform: the two commands of the quick start are `make run` and `make test`.
# Everything they need is installed here, from PyPI, Debian and the npm registry.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test bench lint check system-deps runtime-deps venv clean help assets messages

help:            ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev,pdf]'
	@touch $(STAMP)

venv: $(STAMP)   ## create .venv and install Cliniform with its test tools

system-deps:     ## install the Debian packages the suite needs, where missing
	@bash scripts/system-deps.sh

runtime-deps:    ## install the Debian packages the app needs (Pango, HarfBuzz subsetting, fonts), where missing
	@bash scripts/system-deps.sh runtime

run: $(STAMP) runtime-deps assets  ## install, migrate, seed a demo clinic and serve on http://127.0.0.1:8000
	$(VENV)/bin/cliniform db upgrade
	$(VENV)/bin/cliniform seed-demo
	$(VENV)/bin/cliniform serve --host $(HOST) --port $(PORT)

assets: $(STAMP)  ## front-end assets (npm registry, pinned) and compiled UI catalogs
	@bash scripts/build-assets.sh
	@$(VENV)/bin/pybabel compile -d locale -D messages --statistics

messages: $(STAMP)  ## extract UI strings to locale/messages.pot and update the catalogs
	$(VENV)/bin/pybabel extract -F locale/babel.cfg -k _ -k gettext -k ngettext:1,2 -k N_ --no-location --sort-output -o locale/messages.pot .
	$(VENV)/bin/pybabel update -i locale/messages.pot -d locale -D messages --no-fuzzy-matching

test: $(STAMP) system-deps assets  ## install what the tests need and run the whole suite
	$(VENV)/bin/cliniform check form_definitions workflows rules specialties
	$(VENV)/bin/cliniform test
	$(PY) -m pytest -q

check: $(STAMP)  ## check every shipped definition
	$(VENV)/bin/cliniform check form_definitions workflows rules specialties

bench: $(STAMP)  ## run the benchmarks and write docs/PERFORMANCE.md
	@bash scripts/system-deps.sh bench
	$(PY) -m benchmarks

lint: $(STAMP)   ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:           ## remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
