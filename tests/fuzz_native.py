"""Hypothesis fuzz run for optkit.native.warp_crops, meant to run in a SUBPROCESS.

    python tests/fuzz_native.py            (OPTKIT_FUZZ_EXAMPLES=2000 by default)

A segmentation fault or an abort kills this process, not pytest: tests/test_native.py runs it
and fails on a non-zero exit code. Random shapes, dtypes, channel counts, memory layouts, sizes,
quads (finite, huge, NaN, inf, collinear), thread counts and out buffers, valid and invalid.
Every call must either succeed (and then return the right shape, the same pixels for every
thread count, and the `out` it was given) or raise one of the documented exceptions
(TypeError, ValueError, MemoryError). Prints "fuzz: ok, N cases (V valid, I invalid)".
Also run under AddressSanitizer by tests/run_asan.sh.
"""
import os
import sys

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optkit import native

EXAMPLES = int(os.environ.get("OPTKIT_FUZZ_EXAMPLES", "2000"))
ALLOWED = (TypeError, ValueError, MemoryError)
COUNTS = {"valid": 0, "invalid": 0}

coord = st.one_of(
    st.floats(-40, 120, allow_nan=False, width=32),
    st.sampled_from([0.0, -1.0, 1e9, -1e9, 3e38, float("nan"), float("inf"), -float("inf"), 1e-30]),
)


@st.composite
def images(draw, valid=False):
    kind = "ok" if valid else draw(st.sampled_from(["ok"] * 8 + ["dtype", "ndim", "strided", "empty", "list"]))
    h = draw(st.integers(1, 40))
    w = draw(st.integers(1, 40))
    c = draw(st.sampled_from([None, 1, 3, 4] if valid else [None, 1, 3, 4, 2, 5]))
    shape = (h, w) if c is None else (h, w, c)
    dtype = np.uint8
    if kind == "dtype":
        dtype = draw(st.sampled_from([np.int8, np.uint16, np.float32, np.float64, np.bool_]))
    if kind == "ndim":
        shape = draw(st.sampled_from([(h,), (h, w, 3, 1), (), (2, h, w, 3)]))
    if kind == "empty":
        shape = draw(st.sampled_from([(0, w, 3), (h, 0), (0, 0)]))
    seed = draw(st.integers(0, 2**32 - 1))
    a = np.random.default_rng(seed).integers(0, 256, shape).astype(dtype)
    if kind == "strided" and a.ndim >= 2 and a.shape[1] > 1:
        a = a[:, ::2]
    if kind == "list":
        return a.tolist()
    return a


@st.composite
def quad_arrays(draw, valid=False):
    kind = "ok" if valid else draw(st.sampled_from(["ok"] * 8 + ["dtype", "shape", "strided"]))
    n = draw(st.integers(0, 6))
    vals = draw(st.lists(coord, min_size=n * 8, max_size=n * 8))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    q = np.array(vals, dtype=np.float64).reshape(n, 4, 2)
    if (valid or draw(st.integers(0, 3))) and n:
        # mostly well-formed quads: jittered rectangles somewhere in or around the image
        for i in range(n if valid or draw(st.booleans()) else 1):
            x0, y0 = draw(st.floats(-30, 60)), draw(st.floats(-30, 60))
            bw, bh = draw(st.floats(2, 60)), draw(st.floats(2, 40))
            j = np.array(draw(st.lists(st.floats(-3, 3), min_size=8, max_size=8))).reshape(4, 2)
            q[i] = np.array([[x0, y0], [x0 + bw, y0], [x0 + bw, y0 + bh], [x0, y0 + bh]]) + j
    with np.errstate(over="ignore", invalid="ignore"):
        q = q.astype(dtype)
    if kind == "dtype":
        q = q.astype(draw(st.sampled_from([np.int32, np.float16, np.int64, np.uint8])))
    elif kind == "shape":
        q = q.reshape(draw(st.sampled_from([(n * 8,), (n, 8), (n * 2, 2, 2)])))
    elif kind == "strided":
        q = np.repeat(q, 2, axis=2)[:, :, ::2]
    return q


sizes = st.one_of(
    st.tuples(st.integers(2, 24), st.integers(2, 24)),
    st.tuples(st.integers(2, 24), st.integers(2, 24)),
    st.tuples(st.integers(2, 24), st.integers(2, 24)),
    st.tuples(st.integers(-3, 3), st.integers(-3, 30)),
    st.tuples(st.sampled_from([2**24, 2**24 + 1, 2**40, 2**63, 2**70]), st.integers(2, 2**30)),
    st.sampled_from([(4,), (4, 4, 4), 7, "ab", (2.5, 3), None, [5, 6], (True, 3)]),
)
threads_values = st.one_of(st.none(), st.integers(-3, 5), st.sampled_from([2**31, 2**70, -2**70, 1.5, "2"]))


def _expected_shape(image, quads, size):
    n = quads.shape[0]
    h, w = int(size[0]), int(size[1])
    return (n, h, w) + ((image.shape[2],) if image.ndim == 3 else ())


out_kinds = st.sampled_from(["none"] * 4 + ["good", "readonly", "shape", "dtype", "strided", "bytes"])
# Half the cases are built to be valid (so the kernels really run: edges, outside, all channel
# counts, thread counts, out buffers), the other half mix anything with anything.
cases = st.one_of(
    st.tuples(images(valid=True), quad_arrays(valid=True),
              st.tuples(st.integers(2, 24), st.integers(2, 24)),
              st.one_of(st.none(), st.integers(0, 4)), st.sampled_from(["none", "good"])),
    st.tuples(images(), quad_arrays(), sizes, threads_values, out_kinds),
)


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(case=cases)
def test_fuzz(case):
    image, quads, size, threads, out_kind = case
    out = None
    if out_kind != "none":
        try:
            shape = _expected_shape(np.asarray(image), np.asarray(quads), size)
            if np.prod(shape, dtype=object) > 10**6 or min(shape) < 0 or max(shape) > 10**6:
                raise ValueError
        except Exception:
            shape = (1, 2, 2)
        if out_kind == "good":
            out = np.full(shape, 17, np.uint8)
        elif out_kind == "readonly":
            out = np.zeros(shape, np.uint8)
            out.flags.writeable = False
        elif out_kind == "shape":
            out = np.zeros(shape[:-1] + (shape[-1] + 1,), np.uint8)
        elif out_kind == "dtype":
            out = np.zeros(shape, np.float32)
        elif out_kind == "strided":
            out = np.zeros(shape[:-1] + (shape[-1] * 2,), np.uint8)[..., ::2]
        elif out_kind == "bytes":
            out = bytes(int(np.prod(shape)))
    kw = {"threads": threads}
    if out is not None:
        kw["out"] = out
    try:
        res = native.warp_crops(image, quads, size, **kw)
    except ALLOWED:
        COUNTS["invalid"] += 1
        return
    COUNTS["valid"] += 1
    assert res.dtype == np.uint8
    assert res.shape == _expected_shape(image, quads, size)
    if out is not None:
        assert res is out
    # the same pixels whatever the thread count, and whatever the kernel (plain, portable, tuned)
    again = native.warp_crops(image, quads, size, threads=1)
    assert np.array_equal(res, again)
    for kernel in ("plain", "portable"):
        assert np.array_equal(res, native.warp_crops(image, quads, size, threads=threads, kernel=kernel)), kernel


if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)   # NaN/inf casts while building inputs
    test_fuzz()
    total = COUNTS["valid"] + COUNTS["invalid"]
    print(f"fuzz: ok, {total} cases ({COUNTS['valid']} valid, {COUNTS['invalid']} invalid)")
    sys.exit(0)
