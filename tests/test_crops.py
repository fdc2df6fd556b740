"""optkit.crops: every variant against the cv2 loop; agreement of the C kernel with OpenCV; the CLI."""
import json

import cv2
import numpy as np
import pytest

from optkit import crops, data, native


@pytest.fixture(scope="module")
def doc():
    return data.make_document(1000, 800, 120, seed=5)


def test_dst_corners():
    assert crops.dst_corners((32, 128)).tolist() == [[0, 0], [127, 0], [127, 31], [0, 31]]


def test_pool_variants_equal_the_loop(doc):
    ref = crops.crops_loop(doc.image, doc.quads, (32, 128))
    assert ref.shape == (120, 32, 128, 3)
    with crops.cv2_single_thread():
        for out in (crops.crops_pool(doc.image, doc.quads, (32, 128), threads=2),
                    crops.crops_pool(doc.image, doc.quads, (32, 128), threads=2, chunk=7),
                    crops.crops_pool_per_box(doc.image, doc.quads, (32, 128), threads=3)):
            assert np.array_equal(out, ref)


def test_cv2_single_thread_restores():
    before = cv2.getNumThreads()
    with crops.cv2_single_thread():
        assert cv2.getNumThreads() == 1
    assert cv2.getNumThreads() == before


def test_native_agrees_with_cv2_on_a_document(doc):
    """The must-show criterion (mean |diff| <= 0.5, >= 99% within 2 levels), and in practice
    almost every pixel is identical."""
    ref = crops.crops_loop(doc.image, doc.quads, (32, 128))
    a = crops.agreement(ref, crops.crops_native(doc.image, doc.quads, (32, 128)))
    assert a["mean_abs_diff"] <= 0.5 and a["within_2"] >= 0.99
    assert a["exact"] >= 0.99 and a["max_abs_diff"] <= 2


def _random_quads(rng, n, width, height, jitter, out_frac=0.2):
    quads = []
    for _ in range(n):
        cx, cy = rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1, 1.1) * height
        L, Hh = rng.uniform(8, width / 3), rng.uniform(4, height / 5)
        a = rng.uniform(-np.pi, np.pi)
        box = np.array([[-L, -Hh], [L, -Hh], [L, Hh], [-L, Hh]]) / 2
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        quads.append(box @ R.T + [cx, cy] + rng.uniform(-jitter, jitter, (4, 2)))
    return np.array(quads, np.float32)


@pytest.mark.parametrize("c", [None, 1, 3, 4])
@pytest.mark.parametrize("size", [(32, 128), (7, 5), (2, 2), (40, 33)])
def test_native_agrees_with_cv2_random(c, size):
    """Random rotated, slightly perspective boxes, some partly or fully outside the image;
    sharp random pixels (the hardest case for agreement)."""
    rng = np.random.default_rng(hash((c, size)) % 2**32)
    shape = (90, 130) if c is None else (90, 130, c)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    q = _random_quads(rng, 40, 130, 90, jitter=2.0)
    ref = crops.crops_loop(img, q, size)
    a = crops.agreement(ref, native.warp_crops(img, q, size))
    assert a["mean_abs_diff"] <= 0.5 and a["within_2"] >= 0.99, a
    assert a["exact"] >= 0.97, a


def test_agreement_figures():
    a = np.zeros((2, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 3
    r = crops.agreement(a, b)
    assert r["max_abs_diff"] == 3 and r["mean_abs_diff"] == pytest.approx(0.5)
    assert r["within_2"] == pytest.approx(5 / 6)
    with pytest.raises(ValueError):
        crops.agreement(a, np.zeros((3, 2), np.uint8))


def test_run_benchmark_small(doc):
    res = crops.run_benchmark(repeat=2, threads=2, image=doc.image, quads=doc.quads, size=(16, 64))
    assert res["agreement"]["within_2"] >= 0.99
    assert set(res["best_s"]) >= {"cv2 loop", "native threads=1", "native threads=2"}
    assert res["parallel_efficiency"] > 0
    # loose sanity only (timings on a shared machine are noisy): C is not wildly slower
    assert res["native1_vs_loop"] > 0.3
    json.dumps(res)


def test_bench_main_json(capsys):
    assert crops.bench_main(["--json", "--repeat", "1", "--width", "800", "--height", "600",
                             "--boxes", "30"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["workload"]["boxes"] == 30 and "native2_vs_best_pool" in res


def test_c_snippets_exist_and_show_real_code():
    """Notebook 04 shows these parts of native.c; the markers must stay in place."""
    assert "PyObject_GetBuffer" in crops.c_snippet("buffers")
    assert "PyBuffer_Release" in crops.c_snippet("release")
    assert "Py_BEGIN_ALLOW_THREADS" in crops.c_snippet("gil")
    assert "#pragma omp parallel for" in crops.c_snippet("openmp")
    assert "PyList_SET_ITEM" in crops.c_snippet("set_item")
    assert "PyList_SetItem" in crops.c_snippet("setitem")
    assert "PyList_Append" in crops.c_snippet("leaky")
    with pytest.raises(KeyError):
        crops.c_snippet("nope")
    assert "```c" in crops.show_source("int x;").data
