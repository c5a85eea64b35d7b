# `make demo` and `make test` work on a fresh clone: they create .venv and install everything first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU wheel of torch (a range would pull a multi-GB CUDA build); GPU users install their own torch first.
TORCH ?= torch==2.13.0
# mamba-ssm is only the test oracle on CPU: install it without compiling its CUDA kernels and without its
# GPU-only dependencies (triton and einops are what its reference scan module imports), and last: a pip install
# after it would report those missing dependencies as conflicts.
MAMBA_ENV := MAMBA_SKIP_CUDA_BUILD=TRUE CAUSAL_CONV1D_SKIP_CUDA_BUILD=TRUE MAMBA_FORCE_BUILD=TRUE CAUSAL_CONV1D_FORCE_BUILD=TRUE

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[test,scale]'
	$(PY) -m pip install --quiet triton einops
	$(MAMBA_ENV) $(PY) -m pip install --quiet --no-deps --no-build-isolation mamba-ssm==2.3.2.post1 causal-conv1d==1.7.0
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vadbench run --config configs/demo.py
	$(VENV)/bin/vadbench report --dataset synthetic --no-reported --floor interp

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/evaluation.py
	$(PY) bench/localisation.py
	$(PY) bench/scorers.py
	$(PY) bench/data.py
	$(PY) bench/mixers.py
	$(PY) bench/ramvid.py
	$(PY) bench/models.py
	$(PY) bench/scale.py

clean:
	rm -rf $(VENV) .vadbench .pytest_cache
