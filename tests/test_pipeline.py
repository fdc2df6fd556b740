"""optkit.pipeline: every version of every stage gives the reference's output, exactly."""

import cv2
import numpy as np
import pytest

from optkit import data
from optkit import pipeline as P
from optkit.scene import N_CLASSES


@pytest.fixture(scope="module")
def small_scenes():
    """Three small pages (different sizes, seeds, box counts) and their simulated models."""
    docs = [data.make_document(640, 480, 25, seed=1), data.make_document(800, 600, 60, seed=2),
            data.make_document(700, 520, 40, seed=3)]
    return [P.simulate(d) for d in docs]


def _pieces(scene, h=90, w=120):
    """Small image pieces (the per-pixel references are slow): a text area and a corner."""
    img = scene.image
    q = scene.doc.quads[0]
    y, x = int(q[:, 1].min()), int(q[:, 0].min())
    return [img[y:y + h, x:x + w], img[-h:, -w:], img[:h // 2, :w // 2]]


def test_preprocessing_does_what_it_says():
    gray = np.array([[0, 10, 20, 30], [100, 120, 140, 160], [200, 220, 240, 250]], np.uint8)
    norm = P.contrast_reference(gray)
    assert norm.min() == 0 and norm.max() == 255          # stretched to the full range
    assert np.all(np.diff(norm.ravel().astype(int)) >= 0)  # order kept
    assert np.array_equal(P.binarize_reference(np.array([[0, 127, 128, 255]], np.uint8)),
                          [[255, 255, 0, 0]])
    px = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], np.uint8)  # B G R W
    assert P.grayscale_reference(px).tolist() == [[29, 150, 76, 255]]


def test_page_binarisation_finds_the_ink(small_scenes):
    doc = small_scenes[0].doc
    binary = P.binarize_fast(P.contrast_fast(P.grayscale_fast(doc.image)))
    inside = np.zeros(binary.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(q).astype(np.int32) for q in doc.quads], 1)
    ink = binary == 255
    assert 0.002 < ink.mean() < 0.2
    assert ink[inside == 1].mean() > 10 * ink[inside == 0].mean()


def test_corner_order(small_scenes):
    for scene in small_scenes:
        ref = P.order_reference(scene.quads)
        assert np.array_equal(P.order_fast(scene.quads), ref)
        # the ground-truth order comes back from any corner permutation
        gt = scene.doc.quads
        rng = np.random.default_rng(5)
        perm = np.argsort(rng.random((len(gt), 4)), axis=1)
        shuffled = np.take_along_axis(gt, perm[..., None], axis=1)
        assert np.array_equal(P.order_reference(shuffled), gt)
        assert np.array_equal(P.order_fast(shuffled), gt)
    assert P.order_fast(np.zeros((0, 4, 2), np.float32)).shape == (0, 4, 2)


def test_crops_equal_and_upright(small_scenes):
    for scene in small_scenes[:2]:
        keep = P.nms_fast(scene.rects, scene.scores)
        quads = P.order_fast(scene.quads[keep])
        # add a long thin quad so that the "wider than 128: resize" branch runs
        wide = np.array([[[10, 10], [400, 14], [400, 34], [10, 30]]], np.float32)
        quads = np.concatenate([quads, wide])
        ref = P.crop_pad_reference(scene.image, quads)
        assert ref.shape == (len(quads), P.CROP_H, P.REC_W, 3) and ref.dtype == np.uint8
        assert np.array_equal(P.crop_fast(scene.image, quads), ref)
        buf = np.full_like(ref, 77)                        # reused buffer: padding must be reset
        assert np.array_equal(P.crop_fast(scene.image, quads, out=buf), ref)
        widths = [p.shape[1] for p in P.crop_reference(scene.image, quads)]
        assert max(widths) > P.REC_W and min(widths) < P.REC_W
    with pytest.raises(ValueError, match="out must be"):
        P.crop_fast(scene.image, quads, out=np.zeros((1, 32, 128, 3), np.uint8))


def test_crop_of_a_word_holds_its_ink():
    doc = data.make_document(640, 480, 20, seed=4)
    crops = P.crop_fast(doc.image, doc.quads)
    gray = crops.mean(axis=3)
    widths = P.crop_widths(doc.quads, P.CROP_H)
    for g, w in zip(gray, widths):
        w = min(int(w), P.REC_W)
        assert g[:, :w].min() < 120 and np.median(g[:, :w]) > 150   # dark strokes on paper
        if w < P.REC_W:
            assert np.all(g[:, w:] == 0)                              # zero padding


def test_ctc_decoding_rules():
    a, b = P.ALPHABET.index("a") + 1, P.ALPHABET.index("b") + 1
    path = [0, a, a, 0, a, b, b, 0, 0, b]
    logits = np.zeros((2, len(path), N_CLASSES), np.float32)
    logits[0, np.arange(len(path)), path] = 1.0
    logits[1, :, 0] = 1.0                                   # all blank
    for f in (P.ctc_reference, P.ctc_fast):
        assert f(logits) == ["aabb", ""]
    assert P.ctc_fast(logits[:0]) == [] and P.ctc_reference(logits[:0]) == []


def test_ctc_variants_and_simulated_recogniser(small_scenes):
    for scene in small_scenes:
        texts = P.ctc_reference(scene.logits)
        assert P.ctc_fast(scene.logits) == texts
        truth = [scene.doc.texts[s] if s >= 0 else "" for s in scene.source]
        assert np.mean([t == g for t, g in zip(texts, truth)]) > 0.97
        # CTC collapsing matters: some words have held (repeated) frames
        best = scene.logits.argmax(axis=2)
        assert np.any((best[:, 1:] == best[:, :-1]) & (best[:, 1:] != 0))


def test_simulate_is_deterministic_and_consistent(small_scenes):
    doc = small_scenes[0].doc
    a, b = P.simulate(doc), P.simulate(doc)
    for f in ("rects", "scores", "quads", "source", "logits"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    assert len(np.unique(a.scores)) == a.n_candidates
    assert a.n_candidates == round(doc.n_boxes * 20 / 3)
    lo, hi = a.quads.min(axis=1), a.quads.max(axis=1)
    assert np.all(a.rects[:, :2] <= lo) and np.all(a.rects[:, :2] + a.rects[:, 2:] >= hi)
    with pytest.raises(ValueError, match="smaller"):
        P.simulate(doc, n_candidates=5)
    with pytest.raises(TypeError):
        P.simulate("page.png")


@pytest.mark.parametrize("args", [(640, 480, 20, 0), (900, 700, 80, 5)])
def test_end_to_end_small_pages(args):
    scene = P.simulate(data.make_document(*args))
    ref, fast = P.run_reference(scene), P.run_fast(scene)
    P.assert_same_result(ref, fast)
    assert P.same_result(ref, fast)
    assert len(ref.keep) >= args[2] and len(ref.texts) == len(ref.keep)
    mixed = P.run(scene, {"grayscale": P.grayscale_fast, "nms": P.nms_reference})
    P.assert_same_result(ref, mixed)
    timed, seconds = P.run_timed(scene, P.FAST)
    P.assert_same_result(ref, timed)
    assert list(seconds) == list(P.STAGES) and all(s >= 0 for s in seconds.values())
    changed = P.run_fast(scene)
    changed.texts[0] += "x"
    assert not P.same_result(ref, changed)
    with pytest.raises(ValueError, match="unknown stage"):
        P.run(scene, {"detect": P.nms_fast})
    with pytest.raises(TypeError):
        P.run_fast(np.zeros((10, 10, 3), np.uint8))


def test_end_to_end_default_document_equal():
    """The must-show page: reference and NumPy/OpenCV outputs are identical (slow: ~10 s)."""
    scene = P.default_scene()
    P.assert_same_result(P.run_reference(scene), P.run_fast(scene))


def test_functions_shown_by_lprun_in_01_fit_the_notebook():
    """01 shows `%lprun` tables of run and grayscale_reference: line_profiler puts 48
    characters of columns before each source line, so a source line of at most 52 keeps the
    table within 100 characters. The one exception is the pixel arithmetic (one line on
    purpose: 01 reads the loop body as two lines, unpack and arithmetic)."""
    import inspect

    allowed = {"gray[y, x] = (9798 * int(r) + 19235 * int(g) + 3735 * int(b) + 16384) // 32768"}
    for f in (P.run, P.grayscale_reference):
        long = [ln for ln in inspect.getsource(f).splitlines()
                if len(ln) > 52 and ln.strip() not in allowed]
        assert not long, (f.__name__, long)
