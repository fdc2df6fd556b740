"""optkit.native: argument checks, edge cases, threads, reference counting, leaks, the fuzz run.

Agreement with OpenCV and the benchmark are in tests/lessons/test_c_extension.py.
"""
import gc
import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from optkit import native

ROOT = Path(__file__).resolve().parent.parent
H, W = 8, 16


def _img(h=60, w=80, c=3, seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w) if c is None else (h, w, c)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def _quads(n=5, dtype=np.float32):
    base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float64)
    return np.stack([base + i for i in range(n)]).astype(dtype)


# ---------------------------------------------------------------- build_info, basic call

def test_build_info_keys():
    info = native.build_info()
    assert isinstance(info["openmp"], bool)
    assert info["max_threads"] >= 1
    assert info["compiler"] in ("gcc", "clang", "msvc", "unknown")
    assert info["simd"] in ("avx2", "sse2", "none")


def test_mean_u8_still_works():
    assert native.mean_u8(np.array([1, 2, 3], np.uint8)) == 2.0


@pytest.mark.parametrize("c", [None, 1, 3, 4])
@pytest.mark.parametrize("qdtype", [np.float32, np.float64])
def test_shapes_and_dtypes(c, qdtype):
    img = _img(c=c)
    out = native.warp_crops(img, _quads(3, qdtype), (H, W))
    extra = () if c is None else (c,)
    assert out.shape == (3, H, W) + extra and out.dtype == np.uint8
    assert isinstance(out, np.ndarray) and out.flags.c_contiguous and out.flags.writeable


def test_float32_and_float64_quads_agree():
    img = _img()
    a = native.warp_crops(img, _quads(4, np.float32), (H, W))
    b = native.warp_crops(img, _quads(4, np.float64), (H, W))
    assert np.array_equal(a, b)  # the corners are exact in both dtypes


def test_axis_aligned_quad_is_a_plain_copy():
    img = _img()
    q = np.array([[[5, 7], [5 + W - 1, 7], [5 + W - 1, 7 + H - 1], [5, 7 + H - 1]]], np.float32)
    out = native.warp_crops(img, q, (H, W))
    assert np.array_equal(out[0], img[7:7 + H, 5:5 + W])


def test_outside_the_image_is_zero():
    img = _img()
    q = np.array([[[1000, 1000], [1100, 1000], [1100, 1050], [1000, 1050]]], np.float32)
    assert not native.warp_crops(img, q, (H, W)).any()


def test_zero_boxes_gives_empty_result():
    out = native.warp_crops(_img(), np.zeros((0, 4, 2), np.float32), (H, W))
    assert out.shape == (0, H, W, 3) and out.dtype == np.uint8


def test_out_is_filled_and_returned():
    img, q = _img(), _quads(3)
    out = np.full((3, H, W, 3), 7, np.uint8)
    res = native.warp_crops(img, q, (H, W), out=out)
    assert res is out
    assert np.array_equal(out, native.warp_crops(img, q, (H, W)))


@pytest.mark.parametrize("threads", [None, 0, 1, 2, 3, 64, 10**9])
def test_threads_values_give_the_same_result(threads):
    img, q = _img(), _quads(7)
    ref = native.warp_crops(img, q, (H, W), threads=1)
    assert np.array_equal(native.warp_crops(img, q, (H, W), threads=threads), ref)


# OMP_NUM_THREADS far above warp_crops' cap (1024, OPTKIT_MAX_THREADS) and more boxes than the cap:
# threads=None must be capped like an explicit count, not start one OpenMP thread per box.
NONE_CAP_SCRIPT = r'''
import os, numpy as np
from optkit import native
img = np.zeros((64, 64, 3), np.uint8)
q = np.tile(np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float64), (2500, 1, 1))
before = len(os.listdir("/proc/self/task"))
got = native.warp_crops(img, q, (2, 2))                 # threads=None: OMP_NUM_THREADS=2500
made = len(os.listdir("/proc/self/task")) - before
assert np.array_equal(got, native.warp_crops(img, q, (2, 2), threads=1)), "wrong result"
print("made", made)
'''


@pytest.mark.skipif(not native.build_info()["openmp"] or not os.path.isdir("/proc/self/task"),
                    reason="needs an OpenMP build and /proc/self/task")
def test_threads_none_is_capped_like_an_explicit_count():
    env = dict(os.environ, OMP_NUM_THREADS="2500")
    r = subprocess.run([sys.executable, "-c", NONE_CAP_SCRIPT], capture_output=True, text=True,
                       timeout=300, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    made = int(r.stdout.split("made")[1])
    # the module's worker pthread runs the region as OpenMP's master: at most 1024 threads in all
    assert 2 <= made <= 1024, f"threads=None started {made} threads (cap 1024)"


# Crops bigger than half a chunk (OPTKIT_CHUNK_BYTES, 16 MiB of output): one box per chunk by
# bytes alone, which ran threads=2 on one thread (E43). A chunk is now a round of the threads.
BIG_CROPS_SCRIPT = r'''
import os, numpy as np
from optkit import native
img = np.zeros((64, 64, 3), np.uint8)
q = np.tile(np.array([[0, 0], [60, 0], [60, 60], [0, 60]], np.float64), (4, 1, 1))
before = len(os.listdir("/proc/self/task"))
got = native.warp_crops(img, q, (1600, 2000), threads=2)      # 9.6 MB a box
made = len(os.listdir("/proc/self/task")) - before
assert np.array_equal(got, native.warp_crops(img, q, (1600, 2000), threads=1)), "wrong result"
print("made", made)
'''


@pytest.mark.skipif(not native.build_info()["openmp"] or not os.path.isdir("/proc/self/task"),
                    reason="needs an OpenMP build and /proc/self/task")
def test_threads_k_holds_for_crops_bigger_than_half_a_chunk():
    env = dict(os.environ, OMP_NUM_THREADS="2")
    r = subprocess.run([sys.executable, "-c", BIG_CROPS_SCRIPT], capture_output=True, text=True,
                       timeout=300, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    made = int(r.stdout.split("made")[1])
    assert made >= 2, f"threads=2 on crops of 9.6 MB started {made} threads (serial)"


def test_portable_kernel_matches_simd_kernel():
    """OPTKIT_NO_AVX2=1 forces the portable path of the tuned kernel for the whole process; the
    bytes must be IDENTICAL to the AVX2 path's and the plain kernel's (one rounding rule)."""
    code = ("import numpy as np, sys; from optkit import native; from optkit import data;"
            "d = data.make_document(800, 600, 60, seed=3);"
            "np.save(sys.argv[1], native.warp_crops(d.image, d.quads, (24, 96)));"
            "np.save(sys.argv[2], native.warp_crops(d.image, d.quads, (24, 96), kernel='plain'));"
            "print(native.build_info()['simd'])")
    outs = {}
    for flag in ("0", "1"):
        path = ROOT / "test-artifacts" / f"native_simd_{flag}.npy"
        plain = ROOT / "test-artifacts" / f"native_plain_{flag}.npy"
        path.parent.mkdir(exist_ok=True)
        env = dict(os.environ, OPTKIT_NO_AVX2=flag)
        r = subprocess.run([sys.executable, "-c", code, str(path), str(plain)], env=env,
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert r.returncode == 0, r.stderr
        outs[flag] = (np.load(path), r.stdout.strip(), np.load(plain))
    assert outs["1"][1] != "avx2"
    assert np.array_equal(outs["0"][0], outs["1"][0])
    assert np.array_equal(outs["0"][0], outs["0"][2]) and np.array_equal(outs["1"][0], outs["1"][2])


def _random_case(rng, c):
    h, w = (int(v) for v in rng.integers(3, 160, 2))
    shape = (h, w) if c == 1 and rng.random() < 0.5 else (h, w, c)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    # boxes anywhere: inside, across the border, partly or wholly outside, tilted, tiny and huge
    centre = rng.uniform(-0.2, 1.2, (40, 1, 2)) * (w, h)
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
    half = rng.uniform(0.5, 0.6 * max(h, w), (40, 1, 2))
    ang = rng.uniform(-np.pi, np.pi, (40, 1))
    rot = np.stack([np.cos(ang), -np.sin(ang), np.sin(ang), np.cos(ang)], -1).reshape(40, 2, 2)
    q = centre + np.einsum("nij,nkj->nki", rot, corners * half)
    q += rng.normal(0, 0.05 * max(h, w), q.shape)          # perspective, not just rotation
    ok = []
    for i in range(len(q)):
        try:
            native.warp_crops(img, q[i:i + 1], (5, 7), kernel="plain")
            ok.append(i)
        except ValueError:                                  # degenerate quad: not this test's job
            pass
    return img, np.ascontiguousarray(q[ok])


@pytest.mark.parametrize("c", [1, 3, 4])
def test_all_kernels_give_identical_bytes(c):
    """plain (warp_plain.c), portable (warp_tuned.c without AVX2) and tuned (AVX2 where the CPU has
    it) follow one rounding rule: the same bytes, on random pages and boxes, border boxes included."""
    rng = np.random.default_rng(100 + c)
    border = 0
    for _ in range(12):
        img, q = _random_case(rng, c)
        size = (int(rng.integers(2, 20)), int(rng.integers(2, 40)))
        plain = native.warp_crops(img, q, size, kernel="plain")
        for kernel in ("tuned", "portable"):
            for threads in (1, 2):
                got = native.warp_crops(img, q, size, kernel=kernel, threads=threads)
                assert np.array_equal(got, plain), (kernel, threads, int((got != plain).sum()))
        border += int((plain == 0).any())
    assert border > 0          # the cases did reach the border handling


def test_plain_kernel_is_small_and_plain():
    """The plain kernel is the one notebook 04 shows whole: short, no SIMD intrinsics."""
    src = (ROOT / "optkit" / "csrc" / "warp_plain.c").read_text()
    assert len(src.splitlines()) <= 60
    assert "immintrin" not in src and "__m" not in src and "fma" not in src.lower()


def test_kernel_argument_is_checked():
    with pytest.raises(ValueError, match="kernel must be 'tuned', 'portable' or 'plain'"):
        native.warp_crops(_img(), _quads(2), (H, W), kernel="fast")
    with pytest.raises(TypeError):
        native.warp_crops(_img(), _quads(2), (H, W), kernel=1)


def test_build_flags_forbid_fused_multiply_add():
    """-ffp-contract=off in setup.py: the compiler must not fuse a multiply and an add itself."""
    assert "-ffp-contract=off" in (ROOT / "setup.py").read_text()


# ---------------------------------------------------------------- the C malloc leak (lesson)

def test_leak_malloc_function_is_named_as_a_lesson_and_checks_its_argument():
    assert "leak_malloc_FOR_LESSON" in dir(native)
    assert "DELIBERATELY LEAKY" in native.leak_malloc_FOR_LESSON.__doc__
    assert native.leak_malloc_FOR_LESSON(64) is None
    for bad in (0, -1, 2**31):
        with pytest.raises(ValueError, match="nbytes must be between 1 and"):
            native.leak_malloc_FOR_LESSON(bad)
    with pytest.raises(TypeError):
        native.leak_malloc_FOR_LESSON(1.5)
    with pytest.raises(OverflowError, match="leak_malloc_FOR_LESSON: nbytes must be between 1 and"):
        native.leak_malloc_FOR_LESSON(10**30)


def test_leak_malloc_is_invisible_to_tracemalloc_but_not_to_rss():
    """The point of the lesson: tracemalloc sees Python's allocators only; the malloc'd block is
    real memory all the same (RSS grows by about its size)."""
    psutil = pytest.importorskip("psutil")
    if os.environ.get("OPTKIT_UNDER_ASAN"):
        pytest.skip("ASan's allocator keeps its own books")
    nbytes = 32 << 20
    # in a fresh process, as notebook 04 measures it: in this long test process, glibc could hand
    # out a block it had kept resident after earlier frees, and RSS did not grow (a failed run)
    code = ("import sys, tracemalloc, psutil; from optkit import native; n = int(sys.argv[1]); "
            "tracemalloc.start(); before = tracemalloc.get_traced_memory()[0]; "
            "r0 = psutil.Process().memory_info().rss; native.leak_malloc_FOR_LESSON(n); "
            "r1 = psutil.Process().memory_info().rss; "
            "print(tracemalloc.get_traced_memory()[0] - before, r1 - r0)")
    r = subprocess.run([sys.executable, "-c", code, str(nbytes)], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    traced, grown = map(int, r.stdout.split())
    assert traced < nbytes / 100
    assert grown > nbytes * 0.9


# ---------------------------------------------------------------- argument checks

def _raises(exc, match, *args, **kw):
    with pytest.raises(exc, match=match):
        native.warp_crops(*args, **kw)


def test_bad_image():
    q = _quads(2)
    _raises(TypeError, "image must be uint8", _img().astype(np.float32), q, (H, W))
    _raises(TypeError, "image must be uint8", _img().astype(np.int16), q, (H, W))
    _raises(ValueError, "image must have 2 .* or 3", np.zeros((4, 5, 3, 1), np.uint8), q, (H, W))
    _raises(ValueError, "image must have 2 .* or 3", np.zeros(10, np.uint8), q, (H, W))
    _raises(ValueError, "1, 3 or 4 channels", np.zeros((10, 10, 2), np.uint8), q, (H, W))
    _raises(ValueError, "image is empty", np.zeros((0, 10, 3), np.uint8), q, (H, W))
    _raises(ValueError, r"np\.ascontiguousarray\(image\)", _img()[:, ::2], q, (H, W))
    _raises(TypeError, "image must be a numpy array", [[1, 2]], q, (H, W))
    _raises(TypeError, "image must be a numpy array", None, q, (H, W))


def test_bad_quads():
    img = _img()
    _raises(TypeError, "quads must be float32 or float64", img, _quads(2).astype(np.int32), (H, W))
    _raises(TypeError, "quads must be float32 or float64", img, _quads(2).astype(np.float16), (H, W))
    _raises(ValueError, r"quads must have shape \(N, 4, 2\)", img, np.zeros((2, 3, 2), np.float32), (H, W))
    _raises(ValueError, r"quads must have shape \(N, 4, 2\)", img, np.zeros((8, 2), np.float32), (H, W))
    _raises(ValueError, r"np\.ascontiguousarray\(quads\)", img, np.zeros((2, 4, 4), np.float32)[:, :, ::2], (H, W))
    _raises(TypeError, "quads must be a numpy array", img, "abc", (H, W))
    gone = memoryview(np.zeros((4, 4, 2), np.float32)); gone.release()
    _raises(ValueError, "released", img, gone, (H, W))   # the exporter's own error, not "numpy array"
    q = _quads(3)
    q[1, 2] = np.nan
    _raises(ValueError, r"quads\[1\] is degenerate or not finite", img, q, (H, W))
    q = _quads(3)
    q[2, 3] = np.inf
    _raises(ValueError, r"quads\[2\]", img, q, (H, W))
    collinear = np.array([[[0, 0], [10, 0], [20, 0], [5, 5]]], np.float32)
    _raises(ValueError, r"quads\[0\] is degenerate", img, collinear, (H, W))
    _raises(ValueError, r"\(\(0, 0\), \(10, 0\), \(20, 0\), \(5, 5\)\)", img, collinear, (H, W))
    point = np.full((1, 4, 2), 3.0, np.float32)
    _raises(ValueError, r"quads\[0\] is degenerate", img, point, (H, W))


def test_bad_size():
    img, q = _img(), _quads(2)
    _raises(TypeError, "size must be a tuple", img, q, 5)
    _raises(ValueError, r"size must be a pair", img, q, (1, 2, 3))
    _raises(TypeError, r"size\[0\] \(h\) must be an integer", img, q, (2.5, 3))
    _raises(ValueError, "h >= 2 and w >= 2", img, q, (0, 5))
    _raises(ValueError, "h >= 2 and w >= 2", img, q, (5, -1))
    _raises(ValueError, "h >= 2 and w >= 2", img, q, (1, 5))
    _raises(ValueError, "too large", img, q, (2**40, 2**40))
    with pytest.raises((MemoryError, ValueError)):
        native.warp_crops(img, q, (2**24, 2**24))          # 2 x 2^48 x 3 bytes: overflows
    with pytest.raises((MemoryError, ValueError)):
        native.warp_crops(img, np.repeat(q, 5000, axis=0), (2**16, 2**16))  # ~2^61 bytes


def test_bad_threads():
    img, q = _img(), _quads(2)
    _raises(ValueError, "threads must be None or >= 0", img, q, (H, W), threads=-1)
    _raises(TypeError, "threads must be an integer", img, q, (H, W), threads=1.5)
    _raises(TypeError, "threads must be an integer", img, q, (H, W), threads="2")
    with pytest.raises(TypeError):
        native.warp_crops(img, q, (H, W), 2)                # threads is keyword-only


@pytest.mark.parametrize("flag", [True, False])
def test_threads_bool_is_refused(flag):
    """A bool is not a thread count (True would quietly mean 1, False the OpenMP default)."""
    img, q = _img(), _quads(2)
    _raises(TypeError, "threads must be an integer, got bool", img, q, (H, W), threads=flag)


def test_threads_far_out_of_range():
    """An int beyond C's long long: "too small" with no number that was never passed; a huge one
    is capped like 10**9."""
    img, q = _img(), _quads(2)
    with pytest.raises(ValueError, match="threads is too small") as info:
        native.warp_crops(img, q, (H, W), threads=-2**70)
    assert "None or >= 0" in str(info.value) and "9223372036854775808" not in str(info.value)
    ref = native.warp_crops(img, q, (H, W), threads=1)
    assert np.array_equal(native.warp_crops(img, q, (H, W), threads=2**70), ref)


@pytest.mark.parametrize("kw, match", [
    ({"max_bytes": -2**70}, "max_bytes is too small"),
    ({"size": (-2**70, 4)}, r"size\[0\] \(h\) is too small"),
    ({"size": (4, 2**70)}, r"size\[1\] \(w\) is too large"),
])
def test_other_ints_far_out_of_range(kw, match):
    img, q = _img(), _quads(2)
    kw = {"size": (H, W), **kw}
    size = kw.pop("size")
    with pytest.raises(ValueError, match=match) as info:
        native.warp_crops(img, q, size, **kw)
    assert "922337203685477580" not in str(info.value)      # LLONG_MAX/MIN: never passed


def test_bad_out():
    img, q = _img(), _quads(2)
    ro = np.zeros((2, H, W, 3), np.uint8)
    ro.flags.writeable = False
    _raises(ValueError, "out is read-only", img, q, (H, W), out=ro)
    _raises(ValueError, "out is read-only", img, q, (H, W), out=bytes(2 * H * W * 3))
    _raises(ValueError, r"out must have shape \(2, 8, 16, 3\)", img, q, (H, W), out=np.zeros((2, H, W), np.uint8))
    _raises(ValueError, r"out must have shape", img, q, (H, W), out=np.zeros((3, H, W, 3), np.uint8))
    _raises(TypeError, "out must be uint8", img, q, (H, W), out=np.zeros((2, H, W, 3), np.float32))
    _raises(ValueError, "out must be C-contiguous", img, q, (H, W),
            out=np.zeros((2, H, W * 2, 3), np.uint8)[:, :, ::2])
    _raises(TypeError, "out must be a numpy array", img, q, (H, W), out=[1, 2])
    big = np.zeros((2 * H, W, 3), np.uint8)
    _raises(ValueError, "share memory with image", big.reshape(-1)[: 50 * 3].reshape(10, 5, 3), q, (H, W),
            out=big.reshape(2, H, W, 3))


def test_errors_release_buffers():
    """Every path releases the buffers it got: memoryview.release() raises BufferError while a
    buffer taken from the view is still held, so each view below detects a missing release."""
    quads = _quads(2)

    def views(out_shape=(2, H, W), img_fmt="B", q_shape=(2, 4, 2)):
        img = memoryview(bytearray(_img(c=None).tobytes())).cast(img_fmt, (60, 80))
        q = memoryview(bytearray(quads.tobytes())).cast("f", q_shape)
        out = memoryview(bytearray(int(np.prod(out_shape)))).cast("B", out_shape)
        return img, q, out

    cases = [
        dict(),                                   # success
        dict(out_shape=(2, H, W + 1)),            # fails on out, after image and quads
        dict(img_fmt="b"),                        # fails on the image's dtype
        dict(q_shape=(4, 4)),                     # fails on the quads' shape
    ]
    for kw in cases:
        img, q, out = views(**kw)
        try:
            native.warp_crops(img, q, (H, W), out=out)
        except (TypeError, ValueError):
            assert kw
        for v in (img, q, out):
            v.release()                           # BufferError if warp_crops kept a buffer
    img, q, out = views()
    with pytest.raises(ValueError):
        native.warp_crops(img, q, (H, W), threads=-1, out=out)
    with pytest.raises(ValueError):
        native.warp_crops(img, np.full((1, 4, 2), np.nan, np.float32), (H, W))
    for v in (img, q, out):
        v.release()


def test_release_detector_works():
    """The check above can fail: a buffer taken and not released makes release() raise."""
    import ctypes

    m = memoryview(bytearray(8))
    view = (ctypes.c_char * 256)()             # room for a Py_buffer struct
    assert ctypes.pythonapi.PyObject_GetBuffer(ctypes.py_object(m), view, 0) == 0
    with pytest.raises(BufferError):
        m.release()
    ctypes.pythonapi.PyBuffer_Release(view)
    m.release()


def test_bytearray_and_memoryview_inputs():
    img = bytearray(_img(c=None).tobytes())
    mv = memoryview(img).cast("B", (60, 80))
    out = native.warp_crops(mv, _quads(2), (H, W))
    assert out.shape == (2, H, W)


# ---------------------------------------------------------------- threads from Python

def test_eight_python_threads_give_identical_results():
    from optkit import data

    doc = data.make_document(800, 600, 40, seed=1)
    ref = native.warp_crops(doc.image, doc.quads, (16, 64), threads=1)
    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def work(k):
        try:
            barrier.wait()
            for _ in range(5):
                r = native.warp_crops(doc.image, doc.quads, (16, 64), threads=1 + k % 3)
                if not np.array_equal(r, ref):
                    errors.append(k)
            results[k] = r
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    ts = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    assert all(np.array_equal(r, ref) for r in results)


def test_gil_is_released():
    """While one thread is inside warp_crops, another Python thread keeps running."""
    from optkit import data

    doc = data.make_document(1200, 900, 300, seed=2)
    quads = np.tile(doc.quads, (4, 1, 1))
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)

    t = threading.Thread(target=ticker)
    native.warp_crops(doc.image, quads, (32, 128), threads=1)
    import time
    t0 = time.perf_counter()
    t.start()
    n = 0
    while time.perf_counter() - t0 < 0.3:
        native.warp_crops(doc.image, quads, (32, 128), threads=1)
        n += 1
    stop.set()
    t.join()
    # with the GIL held for the whole call the ticker would only run between calls (a few ticks)
    assert len(ticks) > 1000 * n


# ---------------------------------------------------------------- reference counting

CROPS = np.arange(4 * 3 * 5, dtype=np.uint8).reshape(4, 3, 5)
FUNCS = [native.crop_means, native.crop_means_setitem, native.crop_means_LEAKY_for_lesson]


@pytest.mark.parametrize("fn", FUNCS)
def test_crop_means_values(fn):
    assert fn(CROPS) == pytest.approx(CROPS.reshape(4, -1).mean(axis=1).tolist())
    assert fn(np.zeros((0, 3), np.uint8)) == []


@pytest.mark.parametrize("fn", FUNCS)
def test_crop_means_bad_input(fn):
    with pytest.raises(TypeError, match="crops must be a numpy array"):
        fn(123)
    with pytest.raises(ValueError, match="uint8"):
        fn(np.zeros((2, 3), np.float32))


def _leak_figures(fn, arg, calls):
    """What 100,000 calls leave behind: refcount of the argument, of a returned element, memory."""
    import psutil

    proc = psutil.Process()
    for _ in range(1000):
        fn(arg)                     # warm-up: free lists and arenas reach their steady state
    gc.collect()
    ref_arg = sys.getrefcount(arg)
    elem = fn(arg)[0]               # only `elem` (and getrefcount's argument) should hold it
    elem_refs = sys.getrefcount(elem) - 1
    rss0 = proc.memory_info().rss
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    for _ in range(calls):
        fn(arg)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    rss1 = proc.memory_info().rss
    growth = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    return {"arg_refcount_delta": sys.getrefcount(arg) - ref_arg, "elem_refs": elem_refs,
            "traced_growth": growth, "rss_growth": rss1 - rss0}


CALLS = 100_000
# Under AddressSanitizer (tests/run_asan.sh) freed memory sits in ASan's quarantine, so the
# process RSS grows whatever the code does: the RSS bounds are only checked without ASan.
UNDER_ASAN = bool(os.environ.get("OPTKIT_UNDER_ASAN"))
RSS_NOISE = float("inf") if UNDER_ASAN else 4 * 1024 * 1024


@pytest.mark.parametrize("fn", [native.crop_means, native.crop_means_setitem])
def test_correct_versions_do_not_leak(fn):
    f = _leak_figures(fn, CROPS, CALLS)
    assert f["arg_refcount_delta"] == 0
    assert f["elem_refs"] == 1
    assert f["traced_growth"] < 64 * 1024          # noise: a few hundred bytes in practice
    assert f["rss_growth"] < RSS_NOISE


def test_leak_detector_catches_the_leaky_version():
    """The same measurements flag the deliberately leaky function: the detector works."""
    f = _leak_figures(native.crop_means_LEAKY_for_lesson, CROPS, CALLS)
    assert f["elem_refs"] == 2                         # one reference nobody owns
    leaked = CALLS * len(CROPS) * sys.getsizeof(1.0)   # 4 floats per call, never freed
    assert f["traced_growth"] > 0.9 * leaked
    assert UNDER_ASAN or f["rss_growth"] > 0.5 * leaked


def test_warp_crops_does_not_leak():
    """100,000 calls (new result, out=, error path): refcounts and RSS flat; tracemalloc on 5,000."""
    import psutil

    img, q = _img(20, 30), _quads(2) * 0.3
    out = np.empty((2, 4, 6, 3), np.uint8)

    def calls(k):
        for _ in range(k):
            native.warp_crops(img, q, (4, 6))
            native.warp_crops(img, q, (4, 6), out=out)
            try:
                native.warp_crops(img, q, (4, 7), out=out)  # the error path releases too
            except ValueError:
                pass

    calls(2000)
    gc.collect()
    refs = [sys.getrefcount(x) for x in (img, q, out)]
    rss0 = psutil.Process().memory_info().rss
    calls(CALLS // 3)
    gc.collect()
    assert [sys.getrefcount(x) for x in (img, q, out)] == refs
    assert psutil.Process().memory_info().rss - rss0 < RSS_NOISE
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    calls(1700)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert sum(s.size_diff for s in snap1.compare_to(snap0, "filename")) < 64 * 1024


# ---------------------------------------------------------------- fork, a replaced numpy.empty
# Threads a call made in this process (Linux: /proc/self/task), None where that cannot be read. A
# parallel warp_crops makes the module's worker pthread and OpenMP's threads (they stay, warm); a
# serial one makes none.
THREADS_MADE = r'''
import os
def threads_made(call):
    if not os.path.isdir("/proc/self/task"):
        return call(), None
    before = len(os.listdir("/proc/self/task"))
    got = call()
    return got, len(os.listdir("/proc/self/task")) - before
'''

FORK_SCRIPT = THREADS_MADE + r'''
import multiprocessing as mp, sys, warnings
import numpy as np
from optkit import native
rng = np.random.default_rng(0)
image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
quads = np.stack([base + i for i in range(16)])
want = native.warp_crops(image, quads, (8, 16), threads=2)   # starts OpenMP's thread pool here

def child(conn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, made = threads_made(lambda: native.warp_crops(image, quads, (8, 16), threads=2))
        b = native.warp_crops(image, quads, (8, 16))           # threads=None: OpenMP's default
    fork_warnings = [str(w.message) for w in caught
                     if issubclass(w.category, RuntimeWarning) and "fork" in str(w.message)]
    conn.send((a, b, fork_warnings, made))

ctx = mp.get_context("fork")
here, there = ctx.Pipe()
p = ctx.Process(target=child, args=(there,))
p.start()
if not here.poll(60):
    p.kill()
    print("HANG: the forked child did not finish in 60 s")
    sys.exit(3)
a, b, fork_warnings, made = here.recv()
p.join(30)
assert np.array_equal(a, want) and np.array_equal(b, want), "forked child: wrong result"
assert len(fork_warnings) == 1, fork_warnings
assert made in (None, 0), f"the marked child made {made} threads: not serial"
assert "forkserver" in fork_warnings[0] and "spawn" in fork_warnings[0], fork_warnings[0]
# and the parent still runs in parallel, unchanged, without a warning
with warnings.catch_warnings():
    warnings.simplefilter("error")
    assert np.array_equal(native.warp_crops(image, quads, (8, 16), threads=2), want)
print("fork: ok")
'''


def _run_fork_script(script, timeout):
    """Run one fork scenario in a fresh interpreter; it prints "fork: ok" or the test fails."""
    try:
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the fork scenario hung (killed after {timeout} s)")
    assert r.returncode == 0 and "fork: ok" in r.stdout, (r.returncode, r.stdout, r.stderr[-3000:])


def _skip_unless_numba_omp():
    """The scenarios whose OpenMP threads come from numba need numba's omp layer and an OpenMP build."""
    pytest.importorskip("numba")
    if not native.build_info()["openmp"]:
        pytest.skip("built without OpenMP: nothing can hang")
    probe = subprocess.run([sys.executable, "-c", "import numba.np.ufunc.omppool"],
                           capture_output=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip("numba has no omp threading layer here")


def test_warp_crops_after_fork_finishes_serially_with_one_warning():
    """libgomp is not fork-safe: the parent ran warp_crops on 2 threads (this module's OpenMP
    pool existed at the fork), so warp_crops in a child made by fork must finish serially (no
    thread made) with the right result and one RuntimeWarning, not hang."""
    if not native.build_info()["openmp"]:
        pytest.skip("built without OpenMP: nothing can hang")
    _run_fork_script(FORK_SCRIPT, timeout=120)


FORK_FIRST_IMPORT_SCRIPT = THREADS_MADE + r'''
# the parent runs OpenMP threads through numba (omp layer: the same libgomp) and has imported
# optkit (any part of it), but not optkit.native: the child imports native for the first time,
# so its parent never ran native's own region: the child is not marked and runs in parallel
import multiprocessing as mp, sys, warnings
import numpy as np
import numba
from numba import njit, prange
import optkit
numba.config.THREADING_LAYER = "omp"

@njit(parallel=True)
def total(a):
    t = 0.0
    for i in prange(a.size):
        t += a[i]
    return t

assert total(np.ones(10 ** 6)) == 10 ** 6
assert numba.threading_layer() == "omp", numba.threading_layer()
assert "optkit.native" not in sys.modules
rng = np.random.default_rng(0)
image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
quads = np.stack([base + i for i in range(64)])

def child(conn):
    from optkit import native
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, made = threads_made(lambda: native.warp_crops(image, quads, (8, 16), threads=4))
    conn.send((a, [str(w.message) for w in caught if "fork" in str(w.message)], made))

ctx = mp.get_context("fork")
here, there = ctx.Pipe()
p = ctx.Process(target=child, args=(there,))
p.start()
if not here.poll(60):
    p.kill()
    print("HANG: the forked child did not finish in 60 s")
    sys.exit(3)
a, fork_warnings, made = here.recv()
p.join(30)
from optkit import native
assert np.array_equal(a, native.warp_crops(image, quads, (8, 16), threads=1)), "wrong result"
assert fork_warnings == [], fork_warnings
assert made is None or made >= 2, f"the child made {made} threads: not parallel"
print("fork: ok")
'''


def test_warp_crops_in_a_fork_child_that_imports_native_first_runs_in_parallel():
    """OpenMP threads in the parent came from numba (not optkit.native), and the parent imported
    optkit; the fork child imports optkit.native for the first time and asks for 4 threads: it
    must run them (E26 finding 1: it is not marked), right, with no fork warning, not hang."""
    _skip_unless_numba_omp()
    _run_fork_script(FORK_FIRST_IMPORT_SCRIPT, timeout=180)


FORK_NO_OPTKIT_SCRIPT = r'''
# the parent runs OpenMP threads through numba (omp layer: the same libgomp) and never imports
# optkit at all, so no fork hook of optkit sees the fork: the child imports optkit.native and
# asks for 2 and 4 threads; the OpenMP region runs on a pthread native made in the child
import os, sys, warnings
import numpy as np
import numba
from numba import njit, prange
numba.config.THREADING_LAYER = "omp"

@njit(parallel=True)
def total(a):
    t = 0.0
    for i in prange(a.size):
        t += a[i]
    return t

assert total(np.ones(10 ** 6)) == 10 ** 6
assert numba.threading_layer() == "omp", numba.threading_layer()
assert not any(m == "optkit" or m.startswith("optkit.") for m in sys.modules)
rng = np.random.default_rng(0)
image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
quads = np.stack([base + i for i in range(64)])
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    from optkit import native
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = native.warp_crops(image, quads, (8, 16), threads=2)
        b = native.warp_crops(image, quads, (8, 16), threads=4)
        c = native.warp_crops(image, quads, (8, 16), threads=1)
    ok = np.array_equal(a, c) and np.array_equal(b, c)
    os.write(w, b"same" if ok else b"DIFFERENT")
    os._exit(0)
os.close(w)
import select
if not select.select([r], [], [], 60)[0]:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("HANG: the forked child did not finish in 60 s")
    sys.exit(3)
answer = os.read(r, 100)
os.waitpid(pid, 0)
assert answer == b"same", answer
print("fork: ok")
'''


def test_warp_crops_in_a_fork_child_of_a_numba_parent_that_never_imported_optkit():
    """A1 finding 1: numba's omp layer ran a parallel region in a parent that never imported
    optkit (so nothing marked the fork); the child's warp_crops(threads=2 and 4) must finish
    with the right result, not hang on libgomp's stale pool."""
    _skip_unless_numba_omp()
    _run_fork_script(FORK_NO_OPTKIT_SCRIPT, timeout=180)


GRANDCHILD_SCRIPT = r'''
import os, sys, warnings
import numpy as np
from optkit import native
image = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
quads = np.stack([base + i for i in range(16)])
want = native.warp_crops(image, quads, (8, 16), threads=2)

def forked_call():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = native.warp_crops(image, quads, (8, 16), threads=2)
    return np.array_equal(a, want), sum("fork" in str(x.message) for x in caught)

pid = os.fork()
if pid == 0:
    same, n = forked_call()
    gpid = os.fork()
    if gpid == 0:
        same2, n2 = forked_call()
        os._exit(0 if (same2 and n2 == 1) else 7)
    _, st = os.waitpid(gpid, 0)
    os._exit(0 if (same and n == 1 and os.waitstatus_to_exitcode(st) == 0) else 5)
_, st = os.waitpid(pid, 0)
print("rc", os.waitstatus_to_exitcode(st))
'''


def test_a_fork_grandchild_warns_again():
    """Each forked process says once that it runs serially (a grandchild too, A1 finding 12)."""
    if not native.build_info()["openmp"]:
        pytest.skip("built without OpenMP: no warning to give")
    r = subprocess.run([sys.executable, "-c", GRANDCHILD_SCRIPT], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0 and "rc 0" in r.stdout, (r.returncode, r.stdout, r.stderr[-3000:])


FORK_SERIAL_PARENT_SCRIPT = THREADS_MADE + r"""
# the parent imported optkit.native (so its fork handlers run) and called warp_crops only on one
# thread (threads=1, and threads=8 with a single box): it never ran native's OpenMP region, so a
# child made by fork is not marked and runs in parallel
import multiprocessing as mp, sys, warnings
import numpy as np
from optkit import native
rng = np.random.default_rng(0)
image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
quads = np.stack([base + i for i in range(16)])
want, made = threads_made(lambda: native.warp_crops(image, quads, (8, 16), threads=1))
one, made1 = threads_made(lambda: native.warp_crops(image, quads[:1], (8, 16), threads=8))
assert made in (None, 0) and made1 in (None, 0), (made, made1)   # no region in the parent

def child(conn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, made = threads_made(lambda: native.warp_crops(image, quads, (8, 16), threads=2))
    conn.send((a, [str(w.message) for w in caught if "fork" in str(w.message)], made))

ctx = mp.get_context("fork")
here, there = ctx.Pipe()
p = ctx.Process(target=child, args=(there,))
p.start()
if not here.poll(60):
    p.kill()
    print("HANG: the forked child did not finish in 60 s")
    sys.exit(3)
a, fork_warnings, made = here.recv()
p.join(30)
assert np.array_equal(a, want), "forked child: wrong result"
assert fork_warnings == [], fork_warnings
assert made is None or made >= 2, f"the child made {made} threads: not parallel"
print("fork: ok")
"""


def test_a_fork_child_of_a_parent_that_ran_warp_crops_on_one_thread_runs_in_parallel():
    """E26 finding 1: a parent that imported optkit.native but never ran its OpenMP region
    (threads=1 only) forks; the child's warp_crops(threads=2) runs in parallel, right, with no
    fork warning."""
    if not native.build_info()["openmp"]:
        pytest.skip("built without OpenMP: always serial")
    _run_fork_script(FORK_SERIAL_PARENT_SCRIPT, timeout=120)


FORKSERVER_SCRIPT = THREADS_MADE + r"""
# a forkserver whose server preloaded optkit.native (as Python 3.13+ does with the main script's
# imports): its workers are made by fork() of a server that ran no crops, so they run in parallel,
# even though this main process ran warp_crops on 2 threads before starting the pool
import multiprocessing as mp, sys, warnings


def work(image, quads):
    preloaded = "optkit.native" in sys.modules     # the server imported it before the fork
    from optkit import native
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a, made = threads_made(lambda: native.warp_crops(image, quads, (8, 16), threads=2))
    return a, [str(w.message) for w in caught if "fork" in str(w.message)], made, preloaded


if __name__ == "__main__":
    import numpy as np
    from optkit import native
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
    quads = np.stack([base + i for i in range(16)])
    want = native.warp_crops(image, quads, (8, 16), threads=2)
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["optkit.native"])
    pool = ctx.Pool(1)
    try:
        a, fork_warnings, made, preloaded = pool.apply_async(work, (image, quads)).get(timeout=90)
    except mp.TimeoutError:
        pool.terminate()
        print("HANG: the forkserver worker did not finish in 90 s")
        sys.exit(3)
    pool.close()
    pool.join()
    assert preloaded, "the server did not preload optkit.native: the scenario is not the one meant"
    assert np.array_equal(a, want), "forkserver worker: wrong result"
    assert fork_warnings == [], fork_warnings
    assert made is None or made >= 2, f"the worker made {made} threads: not parallel"
    print("fork: ok")
"""


def test_a_forkserver_worker_whose_server_preloaded_native_runs_in_parallel(tmp_path):
    """E26 finding 1: the RuntimeWarning advises forkserver, so a forkserver worker must not be
    marked, even when the server imported optkit.native (set_forkserver_preload; Python 3.13+
    preloads the main script's imports): threads=2 runs in parallel, right, no fork warning."""
    if not native.build_info()["openmp"]:
        pytest.skip("built without OpenMP: always serial")
    import multiprocessing as mp
    if "forkserver" not in mp.get_all_start_methods():
        pytest.skip("no forkserver start method here")
    script = tmp_path / "forkserver_scenario.py"   # forkserver workers import their code by path
    script.write_text(FORKSERVER_SCRIPT)
    # the script's folder comes first on sys.path, so say where this optkit is (an ASan copy, say)
    path = [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    try:
        r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                           timeout=180, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("the forkserver scenario hung (killed after 180 s)")
    assert r.returncode == 0 and "fork: ok" in r.stdout, (r.returncode, r.stdout, r.stderr[-3000:])


def test_warp_crops_refuses_a_huge_result_unless_max_bytes_allows_it():
    image = np.zeros((40, 40), np.uint8)
    quads = np.array([[[1, 1], [30, 1], [30, 30], [1, 30]]], np.float64)
    with pytest.raises(ValueError, match=r"warp_crops: .*more than max_bytes=268435456.*max_bytes="):
        native.warp_crops(image, quads, (2 ** 20, 2 ** 12))
    with pytest.raises(ValueError, match=r"max_bytes=100\b"):
        native.warp_crops(image, quads, (10, 11), max_bytes=100)
    assert native.warp_crops(image, quads, (10, 10), max_bytes=100).shape == (1, 10, 10)
    assert native.warp_crops(image, np.repeat(quads, 3, 0), (2 ** 11, 2 ** 10),
                             max_bytes=2 ** 31).shape == (3, 2 ** 11, 2 ** 10)
    with pytest.raises(ValueError, match="max_bytes must be None or >= 0"):
        native.warp_crops(image, quads, (10, 10), max_bytes=-1)
    with pytest.raises(TypeError, match="max_bytes must be an integer"):
        native.warp_crops(image, quads, (10, 10), max_bytes=1.5)


INTERRUPT_SCRIPT = r'''
import os, subprocess, sys, time
import numpy as np
from optkit import native
image = np.random.default_rng(0).integers(0, 256, (500, 500), dtype=np.uint8)
quads = np.repeat(np.array([[[2, 3], [400, 5], [420, 390], [1, 380]]], np.float64), 10000, 0)
# from another process, as Jupyter's interrupt comes (a Timer thread here needs the GIL to send
# it, and on a busy machine got it only after the call had finished)
subprocess.Popen([sys.executable, "-c", "import os, signal, sys, time; time.sleep(0.5); "
                  "os.kill(int(sys.argv[1]), signal.SIGINT)", str(os.getpid())])
t0 = time.perf_counter()
try:
    native.warp_crops(image, quads, (256, 256), threads=1, max_bytes=2 ** 31)
    print("finished", time.perf_counter() - t0)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - t0)
'''


def test_a_long_warp_crops_call_can_be_interrupted():
    """Ctrl-C (SIGINT) stops a long call between chunks of boxes (A1 finding 2): the whole call
    would take many seconds; the interrupt arrives after 0.5 s and is answered soon after."""
    r = subprocess.run([sys.executable, "-c", INTERRUPT_SCRIPT], capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    what, seconds = r.stdout.split()
    assert what == "interrupted", r.stdout
    assert float(seconds) < 10, r.stdout     # loose: the whole call is far longer


def test_clear_messages_that_name_the_function():
    with pytest.raises(OverflowError, match="leak_malloc_FOR_LESSON: nbytes must be between"):
        native.leak_malloc_FOR_LESSON(2 ** 70)
    with pytest.raises(ValueError, match="mean_u8: .*C-contiguous"):
        native.mean_u8(np.zeros((4, 4), np.uint8)[:, ::2])
    with pytest.raises(TypeError, match="mean_u8: expected a uint8 buffer"):
        native.mean_u8(3)
    with pytest.raises(ValueError, match="warp_crops: kernel must be"):
        native.warp_crops(np.zeros((9, 9), np.uint8), np.zeros((0, 4, 2)), (2, 2), kernel="\ud800")
    with pytest.raises(TypeError, match="warp_crops: kernel must be a str"):
        native.warp_crops(np.zeros((9, 9), np.uint8), np.zeros((0, 4, 2)), (2, 2), kernel=3)
    with pytest.raises(ValueError, match="NUL character"):      # not read as "plain"
        native.warp_crops(np.zeros((9, 9), np.uint8), np.zeros((0, 4, 2)), (2, 2), kernel="plain\x00x")
    for fn in (native.crop_means, native.crop_means_setitem):
        with pytest.raises(ValueError, match="every crop is empty"):
            fn(np.zeros((3, 0), np.uint8))
    assert native.crop_means(np.zeros((0, 5), np.uint8)) == []


@pytest.mark.parametrize("value, avx2_off", [("1", True), ("yes", True), ("0", False), ("false", False),
                                              ("No", False), (" off ", False), ("", False)])
def test_optkit_no_avx2_is_read_like_setup_py(value, avx2_off):
    """OPTKIT_NO_AVX2 uses setup.py's _truthy reading (A1 finding 10)."""
    base = subprocess.run([sys.executable, "-c", "from optkit import native; print(native.build_info()['simd'])"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={k: v for k, v in os.environ.items() if k != "OPTKIT_NO_AVX2"}).stdout.strip()
    if base != "avx2":
        pytest.skip(f"no AVX2 path here ({base})")
    r = subprocess.run([sys.executable, "-c", "from optkit import native; print(native.build_info()['simd'])"],
                       capture_output=True, text=True, timeout=120, cwd=ROOT,
                       env={**os.environ, "OPTKIT_NO_AVX2": value})
    assert r.stdout.strip() == ("sse2" if avx2_off else "avx2"), (value, r.stdout, r.stderr)


EMPTY_SCRIPT = r'''
import numpy as np
from optkit import native
real_empty = np.empty
image = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
base = np.array([[10, 10], [50, 12], [48, 30], [9, 28]], dtype=np.float32)
quads = np.stack([base + i for i in range(4)])
size, shape = (8, 16), (4, 8, 16, 3)
want = native.warp_crops(image, quads, size, out=np.zeros(shape, np.uint8))
small = bytearray(16)
ro = np.zeros(shape, np.uint8); ro.flags.writeable = False
fakes = {
    "16 bytes": (lambda *a, **k: small, ValueError, "numpy.empty returned must have shape"),
    "flat": (lambda *a, **k: real_empty(4 * 8 * 16 * 3, np.uint8), ValueError, "must have shape"),
    "float": (lambda *a, **k: real_empty(shape, np.float32), TypeError, "must be uint8"),
    "read-only": (lambda *a, **k: ro, ValueError, "read-only"),
    "strided": (lambda *a, **k: real_empty((4, 8, 32, 3), np.uint8)[:, :, ::2], ValueError, "C-contiguous"),
    "the image": (lambda *a, **k: image, ValueError, "must have shape"),
    "not an array": (lambda *a, **k: [0] * 1536, TypeError, "must be a numpy array"),
}
current = {}
np.empty = lambda *a, **k: current["fn"](*a, **k)      # replaced BEFORE warp_crops first needs it
for label, (fn, exc, text) in fakes.items():
    current["fn"] = fn
    try:
        native.warp_crops(image, quads, size)
    except exc as e:
        assert text in str(e), (label, str(e))
    else:
        raise AssertionError(f"{label}: warp_crops wrote into what a fake numpy.empty returned")
small.extend(b"x")          # BufferError here if warp_crops kept a buffer of it
current["fn"] = real_empty
assert np.array_equal(native.warp_crops(image, quads, size), want)
print("empty: ok")
'''


def test_warp_crops_does_not_trust_numpy_empty():
    """numpy.empty replaced (by a learner, a monkeypatch): warp_crops checks what it returns
    like a caller's `out` (shape, dtype, contiguity, writability, size) and writes nothing into
    a wrong buffer. A subprocess, because warp_crops looks numpy.empty up once per process."""
    r = subprocess.run([sys.executable, "-c", EMPTY_SCRIPT], capture_output=True, text=True,
                       timeout=120, cwd=ROOT)
    assert r.returncode == 0 and "empty: ok" in r.stdout, (r.returncode, r.stdout, r.stderr[-3000:])


# ---------------------------------------------------------------- the fuzz run (subprocess)

@pytest.mark.slow
def test_fuzz_in_subprocess():
    """tests/fuzz_native.py: >= 2,000 random valid and invalid calls; a crash fails this test."""
    env = dict(os.environ, OPTKIT_FUZZ_EXAMPLES="2000")
    r = subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz_native.py")], env=env,
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, f"fuzz run failed (rc {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    assert "fuzz: ok" in r.stdout
    cases = int(r.stdout.split("fuzz: ok,")[1].split()[0])
    assert cases >= 2000


def test_crop_means_keeps_the_exporters_own_error():
    """A buffer the exporter refuses (a released memoryview) keeps its own error; only an object
    with no buffer protocol at all gets "must be a numpy array"."""
    gone = memoryview(np.zeros((2, 4, 4), np.uint8))
    gone.release()
    with pytest.raises(ValueError, match="released"):
        native.crop_means(gone)
    with pytest.raises(TypeError, match="must be a numpy array"):
        native.crop_means([1, 2])


@pytest.mark.slow
def test_wheel_carries_the_c_sources(tmp_path):
    """The wheel (and so the sdist it is built from) ships optkit/csrc/, which notebook 04 shows."""
    import shutil
    import zipfile

    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".lock-venv", "build", "learner", "learner-ko", "test-artifacts",
        "*.so", "*.pyd", "__pycache__", "*.egg-info", ".hypothesis"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-build-isolation", "--no-cache-dir", "-w", str(tmp_path / "wheel"), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = (tmp_path / "wheel").glob("optkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("module.c", "geometry.c", "warp_plain.c", "warp_tuned.c", "leak_lessons.c", "optkit_native.h"):
        assert f"optkit/csrc/{f}" in names, f
    assert any(n.startswith("optkit/native.") and n.endswith((".so", ".pyd")) for n in names)
