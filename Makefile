# optkit: two commands a learner needs.
#   make lab   set everything up (once), then open JupyterLab on notebooks/
#   make test  set everything up (once), then run the whole test suite
# Both are idempotent: the second run reinstalls nothing unless pyproject.toml,
# setup.py or the C source changed.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
PYTEST_ARGS ?=

DEPS_STAMP   := $(VENV)/.optkit-deps
NATIVE_STAMP := $(VENV)/.optkit-native
KERNEL_STAMP := $(VENV)/.optkit-kernel

.PHONY: setup lab test test-fast browser-deps asan student clean help

help:
	@echo "make lab    set up .venv and open JupyterLab (PORT=$(PORT))"
	@echo "make lab KO=1  the Korean edition (learner notebooks, JupyterLab in Korean)"
	@echo "make test   set up .venv and run the whole test suite"
	@echo "make asan   build the C extension with AddressSanitizer and run its tests"
	@echo "make student  build the learner edition of the notebooks into build/student"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "optkit needs Python >= 3.10, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Everything from PyPI (the torch extra is pinned to the CPU build) plus an editable optkit.
$(DEPS_STAMP): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet --progress-bar off -e '.[torch,frameworks,test]'
	@touch $@ $(NATIVE_STAMP)

# Rebuild only the C extension when its source changed (no dependency resolution).
$(NATIVE_STAMP): optkit/native.c setup.py $(DEPS_STAMP)
	$(PY) setup.py --quiet build_ext --inplace
	@touch $@

$(KERNEL_STAMP): $(DEPS_STAMP)
	$(PY) -m optkit.cli install-kernel
	@touch $@

setup: $(DEPS_STAMP) $(NATIVE_STAMP) $(KERNEL_STAMP)

lab: setup
	$(PY) -m optkit.cli lab --port $(PORT)$(if $(KO), --lang ko)

# Headless Chromium for the browser test: installed from Debian when we are root,
# otherwise the browser test skips with one line saying what to install.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "!!! could not install chromium: the browser test will skip"; \
	else echo "!!! chromium not found and not root: install Debian's 'chromium' package to run the browser test"; fi

test: setup browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# Quick loop while developing: everything but notebooks and the browser.
test-fast: setup
	$(PY) -m pytest -m "not notebook and not browser" $(PYTEST_ARGS)

asan: setup
	bash tests/run_asan.sh $(PY)

student: setup
	$(PY) -m optkit.cli student --out build/student

# Build outputs of the package only. build/student (the learner edition, where learners work)
# and anything else a learner put under build/ stay: build/ itself goes only when empty.
clean:
	rm -rf build/lib.* build/temp.* build/bdist.* optkit/*.so optkit/__pycache__ tests/__pycache__ .pytest_cache
	-@rmdir build 2>/dev/null || true
