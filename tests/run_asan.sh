#!/usr/bin/env bash
# Run optkit.native's tests under AddressSanitizer (what `make asan` does).
#
#   bash tests/run_asan.sh [PYTHON]        PYTHON defaults to .venv/bin/python
#
# 1. Copies the package, setup.py and the native tests into a temporary directory and builds the
#    extension there with OPTKIT_ASAN=1 (setup.py adds -fsanitize=address -fno-omit-frame-pointer
#    -O1 -g). The extension in optkit/ is not touched.
# 2. Runs tests/test_native.py (including the hypothesis fuzz run in its subprocess) and the
#    agreement tests of tests/lessons/test_c_extension.py against that build, twice: with the AVX2 kernel and with
#    the portable kernel (OPTKIT_NO_AVX2=1); the plain kernel runs in both (the identity tests and the fuzz run). Python itself is not instrumented, so the ASan runtime
#    is loaded first with LD_PRELOAD (gcc: `gcc -print-file-name=libasan.so`).
#    ASAN_OPTIONS=detect_leaks=0: CPython keeps memory alive at exit on purpose, which LeakSanitizer
#    would report; reference leaks are tested separately (tests/test_native.py; under ASan its
#    RSS bounds are skipped, since ASan's quarantine keeps freed memory resident).
#    Gathers (AVX2) are invisible to ASan; the ASan build touches the bytes they read with ordinary,
#    checked loads (see optkit/csrc/warp_tuned.c, __SANITIZE_ADDRESS__).
# 3. Exits non-zero if a test fails or if any AddressSanitizer report appears in the output.
# Needs gcc (or clang: set CC=clang) with its ASan runtime (Debian: libasan8, part of gcc).
set -uo pipefail

PY=${1:-.venv/bin/python}
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-gcc}
LIBASAN=$("$CC" -print-file-name=libasan.so)
if [ ! -e "$LIBASAN" ]; then
    echo "run_asan: no ASan runtime found ($CC -print-file-name=libasan.so gave '$LIBASAN')" >&2
    exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/optkit-asan.XXXXXX")
trap "rm -rf \"$TMP\"" EXIT

mkdir -p "$TMP/optkit/lessons" "$TMP/tests/lessons"
cp "$ROOT/setup.py" "$ROOT/pyproject.toml" "$TMP/"
cp "$ROOT"/optkit/*.py "$TMP/optkit/"
cp "$ROOT"/optkit/lessons/*.py "$TMP/optkit/lessons/"
cp -r "$ROOT/optkit/csrc" "$TMP/optkit/csrc"
cp "$ROOT/tests/__init__.py" "$ROOT/tests/test_native.py" "$ROOT/tests/fuzz_native.py" "$TMP/tests/"
cp "$ROOT/tests/lessons/__init__.py" "$ROOT/tests/lessons/test_c_extension.py" "$TMP/tests/lessons/"
[ -d "$ROOT/data" ] && ln -s "$ROOT/data" "$TMP/data"

echo "run_asan: building optkit.native with AddressSanitizer in $TMP"
(cd "$TMP" && OPTKIT_ASAN=1 "$PY" setup.py --quiet build_ext --inplace) > "$TMP/build.log" 2>&1 || {
    cat "$TMP/build.log"; echo "run_asan: build failed" >&2; exit 2; }

export PYTHONPATH="$TMP${PYTHONPATH:+:$PYTHONPATH}"
# allocator_may_return_null=1: an impossible allocation (the tests ask for one on purpose) gives
# NULL -> MemoryError, as with the normal allocator, instead of an ASan abort.
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:halt_on_error=1:exitcode=86"
export OPTKIT_UNDER_ASAN=1
where=$(cd "$TMP" && LD_PRELOAD="$LIBASAN" "$PY" -c "import optkit.native as n; print(n.__file__)")
case "$where" in
    "$TMP"/*) echo "run_asan: testing $where" ;;
    *) echo "run_asan: expected the ASan build from $TMP, got '$where'" >&2; exit 2 ;;
esac

status=0
for noavx in 0 1; do
    echo "run_asan: OPTKIT_NO_AVX2=$noavx"
    (cd "$TMP" && OPTKIT_NO_AVX2=$noavx LD_PRELOAD="$LIBASAN" "$PY" -m pytest -q -p no:cacheprovider \
        tests/test_native.py tests/lessons/test_c_extension.py -k "not bench" 2>&1) | tee "$TMP/run_$noavx.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
    if grep -q "AddressSanitizer" "$TMP/run_$noavx.log"; then
        echo "run_asan: AddressSanitizer reported an error (OPTKIT_NO_AVX2=$noavx)" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "run_asan: OK, no AddressSanitizer reports" || echo "run_asan: FAILED" >&2
exit $status
