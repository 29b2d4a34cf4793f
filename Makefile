# `make compare` sets up and runs the comparison; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: compare test lint clean

compare: $(VENV)/.installed
	$(PY) -m compare

test: lint
	$(PY) -m pytest

lint: $(VENV)/.installed  # ruff, as configured in pyproject.toml: pyflakes, pycodestyle, bugbear, import order
	$(PY) -m ruff check .

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[all,dev]'
	touch $@

clean:
	rm -rf $(VENV) results *.egg-info

.PHONY: readme
readme: $(VENV)/.installed  # regenerate the README's figures from real runs (several minutes)
	$(PY) -m compare.readme
