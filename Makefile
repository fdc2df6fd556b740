# optkit: two commands a learner needs.
#   make lab   set everything up (once), then open JupyterLab on the learner edition
#              (make lab EDITION=instructor: the solved notebooks in notebooks/)
#   make test  set everything up (once), plus the test tools, then run the whole test suite
# Both are idempotent: the second run reinstalls nothing unless a lock file (requirements/),
# pyproject.toml, setup.py or the C source changed.
#
# The set-up installs exactly the committed lock (requirements/learner.txt, every file's
# sha256 checked, no dependency resolution), then torch's CPU build (requirements/torch_cpu.py),
# then optkit itself. Variables:
#   PYTHON=python3.12     the Python to build .venv with (3.10 to 3.13)
#   TORCH=0               leave torch out (the torch cells then say how to add it)
#   TORCH_INDEX=URL       where Linux takes torch's CPU build from ('' = pip's default index)
#   WHEELHOUSE=DIR        set up from DIR only, no index (make it with `make wheelhouse`)
#   EDITION=instructor    `make lab` on notebooks/ instead of the learner edition
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8888
PYTEST_ARGS ?=
TORCH  ?= 1
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
WHEELHOUSE ?=
EDITION ?= learner
LEARNER_DIR ?= learner
UV_VERSION ?= 0.13.9
LOCK_VENV ?= .lock-venv

LEARNER_LOCK := requirements/learner.txt
TEST_LOCK    := requirements/test.txt
TORCH_PIN    := requirements/torch.txt

DEPS_STAMP   := $(VENV)/.optkit-deps
NATIVE_STAMP := $(VENV)/.optkit-native
KERNEL_STAMP := $(VENV)/.optkit-kernel
TORCH_STAMP  := $(VENV)/.optkit-torch
TEST_STAMP   := $(VENV)/.optkit-test

# WHEELHOUSE=DIR: pip sees DIR and nothing else (no index, no pip.conf, no PIP_FIND_LINKS).
ifneq ($(strip $(WHEELHOUSE)),)
PIP_ENV := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null
PIP_SRC := --no-index --find-links $(abspath $(WHEELHOUSE))
TORCH_SRC := --wheelhouse $(abspath $(WHEELHOUSE))
else
PIP_ENV :=
PIP_SRC :=
TORCH_SRC := --index '$(TORCH_INDEX)'
endif
PIP := $(PIP_ENV) $(PY) -m pip

.PHONY: setup lab test test-fast browser-deps asan student site clean help lock wheelhouse check-env native-flags

help:
	@echo "make lab    set up .venv and open JupyterLab on the learner edition (PORT=$(PORT))"
	@echo "            make lab EDITION=instructor: the solved notebooks in notebooks/"
	@echo "make lab KO=1  the Korean edition (learner notebooks, JupyterLab in Korean)"
	@echo "make test   set up .venv with the test tools and run the whole test suite"
	@echo "make asan   build the C extension with AddressSanitizer and run its tests"
	@echo "make student  build the learner edition of the notebooks into build/student"
	@echo "make site   the course as a static HTML site in build/site (English and Korean, executed here)"
	@echo "make lock   regenerate requirements/*.txt from pyproject.toml (uv $(UV_VERSION))"
	@echo "make wheelhouse WHEELHOUSE=DIR  every wheel the learner set-up needs, for this OS/CPU/Python"
	@echo "make check-env  compare .venv with the locks"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "optkit needs Python >= 3.10, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# The learner lock, hashes checked, no resolution (--no-deps), then optkit itself (editable,
# built with the locked setuptools: --no-build-isolation fetches nothing).
$(DEPS_STAMP): $(LEARNER_LOCK) pyproject.toml setup.py | $(PY)
	$(PIP) install --quiet --progress-bar off --require-hashes --no-deps $(PIP_SRC) -r $(LEARNER_LOCK)
	$(PIP) install --quiet --progress-bar off --no-deps --no-build-isolation $(PIP_SRC) -e .
	$(PY) requirements/envcheck.py --prune
	@touch $@ $(NATIVE_STAMP)

# torch's CPU build, --no-deps (its dependencies are in the learner lock); see torch_cpu.py.
$(TORCH_STAMP): $(TORCH_PIN) $(DEPS_STAMP)
	$(PIP_ENV) $(PY) requirements/torch_cpu.py $(TORCH_SRC)
	@touch $@

# Test tools: only for `make test` / `make test-fast`, never in the learner set-up.
$(TEST_STAMP): $(TEST_LOCK) $(DEPS_STAMP)
	$(PIP) install --quiet --progress-bar off --require-hashes --no-deps $(PIP_SRC) -r $(TEST_LOCK)
	@touch $@

# The C extension (no dependency resolution).
# The sources one by one, the same list as setup.py's NATIVE_SOURCES/NATIVE_HEADERS (checked by
# tests/test_packaging.py): a stray copy in csrc/ (even one with a space in its name) is ignored.
NATIVE_SRC := optkit/csrc/geometry.c optkit/csrc/leak_lessons.c optkit/csrc/module.c \
              optkit/csrc/warp_plain.c optkit/csrc/warp_tuned.c optkit/csrc/optkit_native.h
# Asked every time (native-flags is phony): setup.py itself rebuilds when a source changed or
# when its flags differ from the last build's (libomp installed since, other CFLAGS), and
# otherwise returns at once.
$(NATIVE_STAMP): $(NATIVE_SRC) setup.py $(DEPS_STAMP) native-flags
	$(PY) setup.py --quiet build_ext --inplace
	@touch $@

native-flags:

$(KERNEL_STAMP): $(DEPS_STAMP)
	$(PY) -m optkit.cli install-kernel
	@touch $@

ifeq ($(TORCH),0)
setup: $(DEPS_STAMP) $(NATIVE_STAMP) $(KERNEL_STAMP)
else
setup: $(DEPS_STAMP) $(NATIVE_STAMP) $(KERNEL_STAMP) $(TORCH_STAMP)
endif

# The learner edition lives in $(LEARNER_DIR)/ (not under build/: `make clean` must not touch
# a learner's work). Every `make lab` re-runs `optkit student --out $(LEARNER_DIR)`, which
# brings it in step with notebooks/ and never overwrites a notebook the learner changed.
# KO=1: the Korean edition (notebooks/ko/, its learner edition in $(LEARNER_DIR)-ko/, JupyterLab's
# Korean UI); the English route is unchanged.
NB_SRC      := $(if $(KO),notebooks/ko,notebooks)
LEARNER_OUT := $(if $(KO),$(LEARNER_DIR)-ko,$(LEARNER_DIR))
LAB_LANG    := $(if $(KO), --lang ko)

lab: setup
	@if [ "$(EDITION)" = instructor ]; then \
	  echo ""; \
	  echo "  optkit, instructor edition: $(NB_SRC)/ (the exercise cells hold the solutions)"; \
	  echo "  the learner edition: make lab$(if $(KO), KO=1)"; \
	  exec $(PY) -m optkit.cli lab --port $(PORT) --root $(NB_SRC)$(LAB_LANG); \
	elif [ "$(EDITION)" = learner ]; then \
	  $(PY) -m optkit.cli student --src $(NB_SRC) --out $(LEARNER_OUT) || exit 1; \
	  echo ""; \
	  echo "  optkit, learner edition: $(LEARNER_OUT)/notebooks/ (your work stays there; make lab keeps it in step)"; \
	  echo "  solutions: $(LEARNER_OUT)/solutions/ (one file per notebook; read the self-check first)"; \
	  echo "  the solved notebooks (instructors): make lab EDITION=instructor$(if $(KO), KO=1)"; \
	  exec $(PY) -m optkit.cli lab --port $(PORT) --root $(LEARNER_OUT)/notebooks$(LAB_LANG); \
	else \
	  echo "make lab: EDITION=$(EDITION) is not an edition; use EDITION=learner (the default) or EDITION=instructor" >&2; \
	  exit 2; \
	fi

# Regenerate the locks with a pinned uv in its own venv (uv is not part of the learner set-up).
lock:
	@test -x $(LOCK_VENV)/bin/uv || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	$(LOCK_VENV)/bin/python requirements/lock.py $(LOCK_VENV)/bin/uv

# Every wheel the locked learner set-up needs on this OS, CPU and Python (sdists are built into
# wheels here), torch's CPU build included unless TORCH=0. Needs the network; the set-up from
# it does not: make setup WHEELHOUSE=DIR.
wheelhouse: | $(PY)
	@test -n "$(WHEELHOUSE)" || { echo "usage: make wheelhouse WHEELHOUSE=DIR" >&2; exit 2; }
	$(PY) -m pip wheel --quiet --progress-bar off --require-hashes --no-deps -w $(WHEELHOUSE) -r $(LEARNER_LOCK)
	@if [ "$(TORCH)" != 0 ]; then $(PY) requirements/torch_cpu.py --index '$(TORCH_INDEX)' --download $(WHEELHOUSE); fi
	@echo "wheelhouse $(WHEELHOUSE): $$(ls $(WHEELHOUSE) | wc -l) files, $$(du -sh $(WHEELHOUSE) | cut -f1)"

check-env: setup
	$(PY) requirements/envcheck.py $(if $(wildcard $(TEST_STAMP)),--test)

# Headless Chromium for the browser test: installed from Debian when we are root,
# otherwise the browser test skips with one line saying what to install.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "!!! could not install chromium: the browser test will skip"; \
	else echo "!!! chromium not found and not root: install Debian's 'chromium' package to run the browser test"; fi

test: setup $(TEST_STAMP) browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# Quick loop while developing: everything but notebooks and the browser.
test-fast: setup $(TEST_STAMP)
	$(PY) -m pytest -m "not notebook and not browser" $(PYTEST_ARGS)

asan: setup $(TEST_STAMP)
	bash tests/run_asan.sh $(PY)

student: setup
	$(PY) -m optkit.cli student --out build/student

# The course as a static site (opens from disk): every lesson in English and Korean, executed on
# this machine. Reuses test-artifacts/executed*/ (a test run's copies) when newer than the notebook,
# else executes the lesson and keeps the copy in build/site-cache/.
site: setup
	$(PY) -m optkit.site --out build/site

# Build outputs of the package only: what `setup.py build_ext` names (build/lib.PLAT-cpython-VER,
# build/temp.PLAT-cpython-VER, build/bdist.PLAT, optkit/native*.so) and the venv's stamp of that
# build (else the next `make setup` would not rebuild it). build/student (the learner edition,
# where learners work) and anything else a learner put under build/ stay: build/ itself goes only
# when empty.
clean:
	rm -rf build/lib.*-cpython-* build/temp.*-cpython-* build/bdist.linux-* build/bdist.macosx-* \
	       build/bdist.win* optkit/native*.so optkit/native*.pyd optkit/__pycache__ optkit/lessons/__pycache__ tests/__pycache__ tests/lessons/__pycache__ .pytest_cache
	rm -f $(NATIVE_STAMP)
	-@rmdir build 2>/dev/null || true
