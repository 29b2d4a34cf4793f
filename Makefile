# `make compare` sets up and runs the comparison; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: compare test clean

compare: $(VENV)/.installed
	$(PY) -m compare

test: $(VENV)/.installed
	$(PY) -m pytest

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[all,dev]'
	touch $@

clean:
	rm -rf $(VENV) results *.egg-info

.PHONY: readme
readme: $(VENV)/.installed  # regenerate the README's figures from real runs (several minutes)
	$(PY) -m compare.readme
