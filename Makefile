# npsdiag — two commands on a fresh machine:
#   make demo   set everything up and diagnose the bundled demo client into reports/demo/
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.npsdiag-installed

.PHONY: demo test setup browser lint bench clean-reports bytecode lab reference

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (npsdiag)" >/dev/null
	touch $(STAMP)

setup: $(STAMP) bytecode

# Compile npsdiag's modules once, so that no run compiles them again: the package is installed in editable
# mode (pip compiles only what it copies), and where PYTHONDONTWRITEBYTECODE is set (as in many containers)
# Python would compile them in every process, about 0.5 s per run. Up-to-date files are skipped.
bytecode: $(STAMP)
	$(PY) -m compileall -q npsdiag benchmarks

# JupyterLab for analysts (not needed to run a diagnosis), opened on the notebooks.
lab: $(STAMP)
	$(PY) -m pip install --quiet -e ".[lab]"
	$(VENV)/bin/jupyter lab notebooks/

# Debian's Chromium for the browser tests of the report and faketime for the test that no result depends on the
# day the diagnosis runs (installed once; needs root, as on CI).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v faketime >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium and faketime for the tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium faketime >/dev/null; }

demo: $(STAMP) bytecode
	$(VENV)/bin/npsdiag run examples/demo/config.yml --output reports/demo
	@echo "Open reports/demo/report.html in a browser."

test: $(STAMP) browser
	$(PY) -m pytest tests notebooks npsdiag --doctest-modules --nbval-lax --nbval-current-env -p no:cacheprovider

# Reference results from R (tests/reference): the inputs from the demo client, then every R script there. Needs R
# with Debian's r-cran-survey, r-cran-survival, r-cran-sandwich and r-cran-proc; the tests read the committed CSVs.
reference: $(STAMP)
	$(PY) -m tests.reference.inputs
	$(PY) -m tests.reference.decay_inputs
	$(PY) -m tests.reference.outcome_inputs
	for f in tests/reference/*.R; do Rscript "$$f" || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check npsdiag tests benchmarks

bench: $(STAMP) bytecode
	$(PY) -m benchmarks.run

clean-reports:
	find reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
