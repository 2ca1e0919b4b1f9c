# Every target creates the environment if it is missing. torch==2.13.0 is installed
# first: it is a CPU build found locally, whereas an unpinned torch pulls a CUDA build.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: env demo test test-all lint test-sklearn-oldest clean

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade-strategy only-if-needed "torch==2.13.0"
	$(PY) -m pip install --quiet --upgrade-strategy only-if-needed -e ".[test]"
	touch $@

demo: env
	$(PY) examples/demo.py

test: env
	$(PY) -m pytest -q

test-all: env
	$(PY) -m pytest -q -m ""

# ruff (lint and import order) and mypy (the public API's types), as configured in pyproject.toml.
lint: env
	$(PY) -m pip install --quiet --upgrade-strategy only-if-needed -e ".[lint]"
	$(PY) -m ruff check .
	$(PY) -m mypy

# The tests that reach scikit-learn's private names (skmm/utils/sklearn_compat.py) on the oldest
# scikit-learn pyproject.toml allows, in a throwaway venv layered over $(VENV). Slow: not in CI.
test-sklearn-oldest: env
	bash tools/test_oldest_sklearn.sh $(PY)

# The documentation site (Sphinx + numpydoc + sphinx-gallery): offline, warnings are
# errors, the gallery's examples run in their fast mode. Output: docs/_build/html.
.PHONY: docs
docs: env
	$(PY) -m pip install --quiet --upgrade-strategy only-if-needed -e ".[docs]"
	$(PY) -m sphinx -b html -W --keep-going docs docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info
