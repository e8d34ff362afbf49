# The README's two commands. Both set everything up from nothing on Debian with Python 3.11.
#   make run   - venv + install + offline data + the default Ghost-GAN with its FID (2-core CPU),
#                everything written under runs/gan
#   make test  - venv + install with test extras + ruff + the whole test suite (what CI runs),
#                ending with its 25 slowest tests (CI runs close to its time limit)
#   make test-fast - the suite without the tests marked slow (development loop)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FMNIST_DIR := /usr/share/datasets/fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)
RUN_CONFIG ?= configs/ghost_g_dcgan28_d_cond_fashion_mnist.py
RUN_WORKDIR ?= runs/gan

.PHONY: run test test-fast lint venv install install-test data jemalloc extractor clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

venv: $(PY)

# pip's output goes to .venv/pip.log (shown when the install fails).
$(VENV)/.installed: pyproject.toml | $(PY)
	@echo "installing ghostjax into $(VENV)"
	@$(PIP) install -q -e '.[all]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[test]'
	@# torch only powers the optional PyTorch-equivalence tests; they skip without it. The CPU
	@# wheel from PyTorch's CPU index (the default index's Linux wheel is the CUDA build).
	$(PIP) install -q --retries 1 --timeout 10 --index-url https://download.pytorch.org/whl/cpu 'torch==2.13.0' \
	  || $(PIP) install -q 'torch==2.13.0' \
	  || echo "torch not installable here: PyTorch comparison tests will be skipped"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian's dataset-fashion-mnist package is the offline default dataset (needs root or sudo).
data:
	@if [ -d $(FMNIST_DIR) ]; then echo "Fashion-MNIST found in $(FMNIST_DIR)"; \
	elif command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get install -y dataset-fashion-mnist || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y dataset-fashion-mnist; } || \
	  echo "could not install dataset-fashion-mnist; ghostjax.data will try the TFDS download"; \
	else echo "no apt-get: ghostjax.data will try the TFDS download"; fi

# jemalloc that keeps freed memory makes XLA's CPU steps much faster (ghostjax/runtime/allocator.py);
# optional: without it everything runs with the system malloc.
jemalloc:
	@if [ -n "$$(ls /usr/lib/*-linux-gnu/libjemalloc.so.2 /usr/lib64/libjemalloc.so.2 2>/dev/null)" ]; \
	then echo "jemalloc found"; \
	elif command -v apt-get >/dev/null; then \
	  $(SUDO) apt-get install -y libjemalloc2 || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y libjemalloc2; } || \
	  echo "could not install libjemalloc2: system malloc"; \
	else echo "no apt-get: system malloc"; fi

lint: install-test
	$(VENV)/bin/ruff check .

test: lint data jemalloc
	$(PY) -m pytest -q --durations=25 tests

test-fast: lint data
	$(PY) -m pytest -q -m 'not slow' tests

# The GAN metrics' domain feature extractor ships in assets/ (one fixed extractor for every
# table; `make extractor` trains a new one into runs/, which scores will not match).
EXTRACTOR := assets/extractor_fashion_mnist
# Empty without jemalloc, else LD_PRELOAD=... MALLOC_CONF=... (expanded after `install`).
JEMALLOC_ENV = $(shell $(PY) -m ghostjax.runtime.allocator)
# Everything goes to $(RUN_WORKDIR): result.json (scores with their provenance), samples/,
# checkpoints/, tensorboard/. Shipped results/ stay as they are: publishing a run there is
# `python -m benchmarks.publish` (see its docstring). RUN_FLAGS: more --config.* overrides.
RUN_FLAGS ?=
run: install data jemalloc
	env $(JEMALLOC_ENV) $(PY) -m train.gan --config $(RUN_CONFIG) --workdir $(RUN_WORKDIR) \
	  --config.eval.extractor_workdir=$(EXTRACTOR) $(RUN_FLAGS)

extractor: install data jemalloc
	env $(JEMALLOC_ENV) $(PY) -m train.classifier --config configs/ghostnet_extractor.py \
	  --workdir runs/extractor_fashion_mnist

clean:
	rm -rf $(VENV) runs
