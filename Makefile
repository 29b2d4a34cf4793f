# `make compare` sets up and runs the comparison; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: compare test lint clean docs docs-data

compare: $(VENV)/.installed
	$(PY) -m compare

test: lint docs
	$(PY) -m pytest

lint: $(VENV)/.installed  # ruff, as configured in pyproject.toml: pyflakes, pycodestyle, bugbear, import order
	$(PY) -m ruff check .

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[all,dev,docs]'
	touch $@

clean:
	rm -rf $(VENV) results site *.egg-info

docs: $(VENV)/.installed  # the companion site, from docs/ into site/: offline, warnings as errors
	$(PY) -m sphinx -W --keep-going -q -b html docs site
	@echo "The site: site/index.html"

docs-data: $(VENV)/.installed  # regenerate every table, run excerpt, figure and notebook of the site and the README (long)
	$(PY) -m compare.docsdata
