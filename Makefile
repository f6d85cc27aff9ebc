# The two commands of the README. Both create .venv when it is missing and
# reinstall only when setup.py changed since the last install.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export WANDB_MODE ?= offline
export WANDB_SILENT ?= true
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: sweep test clean

$(VENV)/.installed-run: setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[cpu]'
	touch $@

$(VENV)/.installed-test: setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[cpu,test]'
	touch $@ $(VENV)/.installed-run

# An offline Bayes sweep on the bundled digits data (about 5 minutes on 2 cores).
SWEEP_COUNT ?= 24
sweep: $(VENV)/.installed-run
	$(VENV)/bin/sweepkit run sweeps/bayes.yaml --count $(SWEEP_COUNT) --seed 0

test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) wandb
