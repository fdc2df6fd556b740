# Determinism, unique scores, rects around quads, the smaller-than-words error and the recogniser's
# decodable logits are in tests/test_pipeline.py (which runs the CPU stages on these scenes).
"""optkit.scene: what the simulated detector and recogniser hand the CPU stages, counted: one
main box per word, duplicates and false boxes in their proportions and score bands, shapes and
dtypes, the seed, argument errors, the input document left as it was, default_scene cached."""
import numpy as np
import pytest

from optkit import data
from optkit.data import ALPHABET, Document
from optkit.scene import BLANK, N_CLASSES, T_STEPS, Scene, default_scene, simulate


@pytest.fixture(scope="module")
def doc():
    return data.make_document(640, 480, n_boxes=30, seed=7)


def test_constants_fit_the_recogniser():
    assert N_CLASSES == len(ALPHABET) + 1 and BLANK == 0 and T_STEPS == 32


def test_shapes_dtypes_and_what_the_scene_points_to(doc):
    s = simulate(doc)
    m = s.n_candidates
    assert m == round(30 * 20 / 3) == 200
    assert s.rects.shape == (m, 4) and s.rects.dtype == np.int32
    assert s.scores.shape == (m,) and s.scores.dtype == np.float32
    assert s.quads.shape == (m, 4, 2) and s.quads.dtype == np.float32
    assert s.source.shape == (m,) and s.source.dtype == np.int64
    assert s.logits.shape == (m, T_STEPS, N_CLASSES) and s.logits.dtype == np.float32
    assert s.doc is doc and s.image is doc.image
    assert isinstance(s, Scene) and repr(s) == f"Scene({doc!r}, 200 candidates, logits (200, 32, 63))"


def test_every_word_has_a_high_scoring_box_and_false_boxes_score_low(doc):
    s = simulate(doc)
    n = doc.n_boxes
    counts = np.bincount(s.source[s.source >= 0], minlength=n)
    assert counts.min() >= 1                               # every word is detected at least once
    n_extra = s.n_candidates - n
    n_false = int((s.source == -1).sum())
    assert n_false == n_extra - round(n_extra * 0.9)       # a tenth of the extras are false boxes
    best = np.array([s.scores[s.source == w].max() for w in range(n)])
    assert best.min() >= 0.74
    assert s.scores[s.source == -1].max() <= 0.46
    assert 0 <= s.scores.min() and s.scores.max() < 1
    assert np.array_equal(s.scores * 2**20, np.round(s.scores * 2**20))     # on the 2**-20 grid


def test_boxes_stay_inside_the_page(doc):
    s = simulate(doc)
    w, h = doc.size
    assert s.quads[..., 0].min() >= 0 and s.quads[..., 0].max() <= w - 1
    assert s.quads[..., 1].min() >= 0 and s.quads[..., 1].max() <= h - 1
    assert (s.rects[:, 2:] >= 1).all()


def test_exactly_as_many_candidates_as_words_means_one_box_each(doc):
    s = simulate(doc, n_candidates=doc.n_boxes)
    assert sorted(s.source) == list(range(doc.n_boxes))
    one_more = simulate(doc, n_candidates=np.int64(doc.n_boxes + 1))      # a NumPy integer is fine
    assert one_more.n_candidates == doc.n_boxes + 1 and (one_more.source >= 0).all()   # a duplicate


def test_the_seed_decides_and_defaults_to_the_documents(doc):
    a, b = simulate(doc), simulate(doc, seed=doc.seed)
    other = simulate(doc, seed=doc.seed + 1)
    for f in ("rects", "scores", "quads", "source", "logits"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert not np.array_equal(a.scores, other.scores)


def test_the_document_is_not_changed(doc):
    before = doc.copy()
    simulate(doc)
    assert np.array_equal(doc.image, before.image) and np.array_equal(doc.quads, before.quads)
    assert doc.texts == before.texts


@pytest.mark.parametrize("bad", [200.0, np.float64(200.0), True, "200"])
def test_a_candidate_count_that_is_not_an_integer_is_refused(doc, bad):
    with pytest.raises(ValueError, match="n_candidates must be an integer, got"):
        simulate(doc, n_candidates=bad)


def test_too_few_candidates_and_a_non_document_are_clear_errors(doc):
    with pytest.raises(ValueError, match=r"n_candidates=29 is smaller than the number of words \(30\)"):
        simulate(doc, n_candidates=29)
    for bad in (doc.image, None, {"image": doc.image}):
        with pytest.raises(TypeError, match=r"simulate\(\) needs an optkit.data.Document, got"):
            simulate(bad)


def test_a_page_without_words_has_no_candidates(doc):
    empty = Document(doc.image, doc.quads[:0].copy(), [], 0, doc.size)
    s = simulate(empty)
    assert s.n_candidates == 0 and s.logits.shape == (0, T_STEPS, N_CLASSES) and s.rects.shape == (0, 4)


def _one_word(doc, text):
    return Document(doc.image, doc.quads[:1].copy(), [text], 0, doc.size)


def test_text_the_recogniser_cannot_spell_is_a_clear_error(doc):
    with pytest.raises(ValueError, match="한"):
        simulate(_one_word(doc, "한글"))


def test_a_word_longer_than_the_time_steps_is_a_clear_error(doc):
    with pytest.raises(ValueError):
        simulate(_one_word(doc, "ab" * 20))


def test_default_scene_is_built_once():
    s = default_scene()
    assert s is default_scene()
    assert s.doc.size == (1600, 1200) and s.doc.n_boxes == 300 and s.n_candidates == 2000
