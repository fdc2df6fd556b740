"""optkit.lessons.cython_numba: the references of notebook 03 are correct, agree with each other, and
reject bad input with clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from optkit.lessons import cython_numba as K


def row(*values):
    return np.array([values], np.uint8)


# ----------------------------------------------------------------------------- RLSA
@pytest.mark.parametrize("gap, expected", [
    (0, [0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0]),
    (1, [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0]),
    (2, [0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0]),
    (3, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),
    (99, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),   # gaps touching the row's ends stay paper
])
def test_rlsa_fills_exactly_the_short_inner_gaps(gap, expected):
    mask = row(0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0)
    want = np.array([expected], np.uint8)
    assert np.array_equal(K.rlsa_python(mask, gap), want)
    assert np.array_equal(K.rlsa_numpy(mask, gap), want)


def test_rlsa_does_not_modify_its_input_and_returns_uint8():
    mask = K.synthetic_mask(20, 40, seed=3)
    before = mask.copy()
    out = K.rlsa_python(mask, 4)
    assert np.array_equal(mask, before)
    assert out.dtype == np.uint8 and out.shape == mask.shape
    assert set(np.unique(out)) <= {0, 1}
    assert (out >= mask).all()          # smoothing only adds ink


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("gap", [0, 1, 5, 17])
def test_rlsa_numpy_equals_python(seed, gap):
    mask = K.synthetic_mask(40, 90, seed=seed, density=0.2 + 0.1 * seed)
    assert np.array_equal(K.rlsa_numpy(mask, gap), K.rlsa_python(mask, gap))


def test_rlsa_edge_shapes():
    for mask in (np.zeros((1, 1), np.uint8), np.ones((3, 1), np.uint8), np.zeros((0, 5), np.uint8),
                 np.ones((2, 7), np.uint8)):
        assert np.array_equal(K.rlsa_python(mask, 3), mask)
        assert np.array_equal(K.rlsa_numpy(mask, 3), mask)


@pytest.mark.parametrize("seed", range(3))
def test_vertical_is_horizontal_on_the_transpose(seed):
    mask = K.synthetic_mask(30, 50, seed=seed)
    want = K.rlsa_python(np.ascontiguousarray(mask.T), 4).T
    assert np.array_equal(K.rlsa_vertical_python(mask, 4), want)
    assert np.array_equal(K.rlsa_vertical_numpy(mask, 4), want)


def test_numba_compiled_reference_matches():
    """The notebook's @njit version is the reference's loop, unchanged: it must agree."""
    from numba import njit

    @njit(cache=False)
    def rlsa_nb(mask, gap):
        h, w = mask.shape
        out = mask.copy()
        for y in range(h):
            last = -1
            for x in range(w):
                if mask[y, x]:
                    if last >= 0 and x - last - 1 <= gap:
                        for k in range(last + 1, x):
                            out[y, k] = 1
                    last = x
        return out

    mask = K.synthetic_mask(60, 120, seed=7)
    assert np.array_equal(rlsa_nb(mask, 6), K.rlsa_python(mask, 6))


# ----------------------------------------------------------------------------- exercises' references
@pytest.mark.parametrize("seed", range(3))
def test_runs_per_row_counts_rising_edges(seed):
    mask = K.synthetic_mask(30, 64, seed=seed)
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 0)))
    want = (np.diff(padded, axis=1) == 1).sum(axis=1).astype(np.int32)
    got = K.runs_per_row_python(mask)
    assert got.dtype == np.int32 and np.array_equal(got, want)
    assert np.array_equal(K.runs_per_row_python(row(1, 1, 0, 1, 0, 0, 1)), np.array([3], np.int32))


def _run_lengths(mask):
    lengths = []
    for r in mask:
        padded = np.concatenate([[0], r.astype(np.int8), [0]])
        d = np.diff(padded)
        lengths.extend((np.flatnonzero(d == -1) - np.flatnonzero(d == 1)).tolist())
    return np.array(lengths, np.int64)


@pytest.mark.parametrize("max_len", [1, 4, 64])
def test_run_length_histogram(max_len):
    mask = K.synthetic_mask(40, 80, seed=1)
    lengths = np.minimum(_run_lengths(mask), max_len)
    want = np.bincount(lengths, minlength=max_len + 1).astype(np.int64)
    got = K.run_length_histogram_python(mask, max_len)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    assert np.array_equal(K.run_length_histogram_python(row(1, 1, 0, 1, 1, 1), 8),
                          np.array([0, 0, 1, 1, 0, 0, 0, 0, 0]))


# ----------------------------------------------------------------------------- fastmath lesson
def test_row_sums_are_sequential_float32_sums():
    rng = np.random.default_rng(0)
    values = rng.random((5, 300), dtype=np.float32)
    want = np.cumsum(values, axis=1, dtype=np.float32)[:, -1]     # cumsum adds left to right
    got = K.row_sums_python(values)
    assert got.dtype == np.float32 and np.array_equal(got, want)


def test_nan_row_sums_skip_nan():
    values = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]], np.float32)
    assert np.array_equal(K.nan_row_sums_python(values), np.array([3.0, 0.0], np.float32))
    with pytest.raises(ValueError, match="float32"):
        K.nan_row_sums_python(values.astype(np.float64))


# ----------------------------------------------------------------------------- masks
def test_page_mask_is_binary_and_deterministic():
    a = K.page_mask(640, 480, 20, 0)
    b = K.page_mask(640, 480, 20, 0)
    assert a.shape == (480, 640) and a.dtype == np.uint8 and a.flags.c_contiguous
    assert set(np.unique(a)) == {0, 1}
    assert 0.005 < a.mean() < 0.5            # some ink, mostly paper
    assert np.array_equal(a, b)
    a[:] = 7                                 # a copy: the cache is not corrupted
    assert K.page_mask(640, 480, 20, 0).max() == 1


def test_binarize_marks_dark_pixels_as_ink():
    img = np.full((10, 10, 3), 230, np.uint8)
    img[2:4, 2:8] = 20
    m = K.binarize(img)
    assert m[2:4, 2:8].all() and m.sum() == 12


# ----------------------------------------------------------------------------- counter-example
def test_crop_opencv_identity_quad_copies_the_pixels():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (100, 200, 3), dtype=np.uint8)
    x0, y0 = 30, 40
    quad = np.array([[[x0, y0], [x0 + 127, y0], [x0 + 127, y0 + 31], [x0, y0 + 31]]], np.float32)
    out = K.crop_opencv(image, quad)
    assert out.shape == (1, 32, 128, 3) and out.dtype == np.uint8
    assert np.array_equal(out[0], image[y0:y0 + 32, x0:x0 + 128])


def test_crop_opencv_equals_the_pipelines_warp_bit_for_bit():
    """crop_opencv writes warp_quad's two calls out (so the notebook's compiled copies differ
    only by compiling); the output must stay the pipeline's one perspective crop."""
    from optkit.data import make_document
    from optkit.pipeline import warp_quad

    doc = make_document(640, 480, 12, seed=3)
    out = K.crop_opencv(doc.image, doc.quads)
    assert len(out) == len(doc.quads) > 0
    for i, q in enumerate(doc.quads):
        assert np.array_equal(out[i], warp_quad(doc.image, q, K.CROP_W, K.CROP_H))


def test_crop_share_mostly_in_opencv():
    from optkit.data import make_document

    doc = make_document(640, 480, 40, seed=1)
    share = K.crop_python_loop_share(doc.image, doc.quads, repeat=3)
    assert share["total_s"] > share["loop_only_s"] > 0
    assert 0.5 < share["share_outside_loop"] <= 1.0


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad, exc, text", [
    (np.zeros((3, 4), np.int32), TypeError, "uint8"),
    (np.zeros((3, 4, 1), np.uint8), ValueError, "2-D"),
    (np.zeros((4, 6), np.uint8)[:, ::2], ValueError, "contiguous"),
    ([[0, 1]], TypeError, "NumPy array"),
])
def test_bad_masks_are_rejected(bad, exc, text):
    for f in (K.rlsa_python, K.rlsa_numpy, K.rlsa_vertical_python):
        with pytest.raises(exc, match=text):
            f(bad, 3)
    with pytest.raises(exc, match=text):
        K.runs_per_row_python(bad)


@pytest.mark.parametrize("gap, exc", [(-1, ValueError), (2.5, TypeError), (True, TypeError)])
def test_bad_gap(gap, exc):
    with pytest.raises(exc, match="gap"):
        K.rlsa_python(np.zeros((2, 2), np.uint8), gap)


def test_bad_crop_arguments():
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError, match="quads"):
        K.crop_opencv(img, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="image"):
        K.crop_opencv(np.zeros((10, 10), np.uint8), np.zeros((1, 4, 2)))
    with pytest.raises(ValueError, match="max_len"):
        K.run_length_histogram_python(np.zeros((2, 2), np.uint8), 0)


# ----------------------------------------------------------------------------- thread probe
def test_thread_env_probe_reads_numba_variable_in_a_fresh_process():
    seen = K.thread_env_probe({"NUMBA_NUM_THREADS": 1})
    assert seen["Numba pool size"] == 1
    assert seen["numba.get_num_threads()"] == 1
    assert "OpenMP threads, before Numba starts" not in seen     # no Cython module given
