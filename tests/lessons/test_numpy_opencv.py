"""optkit.lessons.numpy_opencv: every step of notebook 02's ladder gives the reference's output,
exactly, and `optkit bench pipeline` reports the ladder's ends."""
import json

import numpy as np
import pytest

from optkit import pipeline as P
from optkit.lessons import numpy_opencv as N
from tests.test_pipeline import _pieces, small_scenes  # noqa: F401  (the fixture)


def test_cvtcolor_is_exactly_the_reference_formula_for_all_colours():
    v = np.arange(1 << 24, dtype=np.uint32)
    img = np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], -1).astype(np.uint8).reshape(4096, 4096, 3)
    assert np.array_equal(P.grayscale_fast(img), N.grayscale_shift(img))
    some = img[::97, ::89]
    assert np.array_equal(N.grayscale_numpy(some), P.grayscale_fast(some))


def test_preprocessing_variants_equal_reference(small_scenes):
    rng = np.random.default_rng(0)
    images = [p for s in small_scenes for p in _pieces(s)]
    images.append(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8))
    images.append(np.full((20, 30, 3), 200, np.uint8))             # flat: hi <= lo branch
    for img in images:
        img = np.ascontiguousarray(img)
        gray = P.grayscale_reference(img)
        assert gray.dtype == np.uint8 and gray.shape == img.shape[:2]
        for name, f in N.VARIANTS["grayscale"].items():
            assert np.array_equal(f(img), gray), name
        norm = P.contrast_reference(gray)
        for name, f in N.VARIANTS["contrast"].items():
            assert np.array_equal(f(gray), norm), name
        binary = P.binarize_reference(norm)
        assert set(np.unique(binary)) <= {0, 255}
        for name, f in N.VARIANTS["binarize"].items():
            assert np.array_equal(f(norm), binary), name


def test_nms_variants_equal_reference(small_scenes):
    for scene in small_scenes:
        ref = P.nms_reference(scene.rects, scene.scores)
        assert ref.dtype == np.int64 and len(set(ref.tolist())) == len(ref)
        for name, f in N.VARIANTS["nms"].items():
            assert np.array_equal(f(scene.rects, scene.scores), ref), name
        # other thresholds too
        for iou, sc in [(0.3, 0.5), (0.7, 0.1)]:
            r = P.nms_reference(scene.rects, scene.scores, iou, sc)
            assert np.array_equal(N.nms_numpy(scene.rects, scene.scores, iou, sc), r)
            assert np.array_equal(P.nms_fast(scene.rects, scene.scores, iou, sc), r)


def test_nms_behaviour():
    rects = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 10, 10], [0, 0, 10, 10]], np.int32)
    scores = np.array([0.9, 0.8, 0.7, 0.2], np.float32)
    for f in N.VARIANTS["nms"].values():
        assert f(rects, scores).tolist() == [0, 2]       # overlap suppressed, low score dropped
        assert f(rects[:0], scores[:0]).tolist() == []


def test_nms_keeps_every_word_on_the_default_page():
    scene = P.default_scene()
    assert scene.n_candidates == 2000
    keep = P.nms_fast(scene.rects, scene.scores)
    assert set(range(300)) <= set(scene.source[keep].tolist())  # every word found
    assert np.array_equal(N.nms_numpy(scene.rects, scene.scores), keep)


def test_batch_variants(small_scenes):
    scene = small_scenes[1]
    crops = P.stage_inputs(scene)["batch"][0]
    ref = P.batch_reference(crops)
    assert ref.shape == (len(crops), 3, P.CROP_H, P.REC_W) and ref.dtype == np.float32
    assert np.array_equal(P.batch_fast(crops), ref)
    assert np.array_equal(N.batch_take(crops), ref)
    np.testing.assert_allclose(N.batch_float32(crops), ref, rtol=0, atol=1e-6)
    # channel 0 is blue: (v / 255 - 0.406) / 0.225
    v = crops[0, 5, 7, 0]
    assert ref[0, 0, 5, 7] == np.float32((v / 255.0 - P.MEAN[0]) / P.STD[0])
    assert P.batch_fast(crops[:0]).shape == (0, 3, P.CROP_H, P.REC_W)


def test_bench_main_json(capsys):
    rc = N.bench_main(["--json", "--width", "640", "--height", "480", "--boxes", "20",
                       "--stages", "order,ctc", "--repeat", "1"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["stages"]) == {"order", "ctc"}
    e2e = out["end_to_end"]
    assert e2e["outputs_equal"] and e2e["ratio"] > 1
    assert e2e["ratio"] == pytest.approx(e2e["reference_s"] / e2e["fast_s"])
    assert out["document"]["candidates"] == 133


def test_bench_main_bad_arguments(capsys):
    assert N.bench_main(["--stages", "nope"]) == 2
    assert N.bench_main(["--width", "10"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_order_rule_refuses_a_loop_over_boxes_not_whole_array_work():
    quads = P.default_scene().quads[:300]
    args = (quads,)

    def gather_loop(q):          # whole-array indices, then one Python step per box
        out = np.empty_like(q)
        idx = np.argsort(q.sum(axis=2), axis=1)
        for n in range(len(q)):
            out[n] = q[n, idx[n]]
        return out

    assert N.order_no_box_loop(P.order_fast, args) is None
    assert "once per box" in N.order_no_box_loop(gather_loop, args)
    assert N.order_more_boxes(args, 0)[0] is quads
    more = N.order_more_boxes(args, 500)[0]
    assert more.shape == (800, 4, 2) and np.array_equal(more[300:600], quads)
