"""The OCR case study's simulated models (no model download): what the detector and the
recogniser would output for an :class:`optkit.data.Document`. Candidates are the page's
ground-truth word quads plus jittered duplicates and a few false boxes, with scores; the
recogniser's logits are made from the ground-truth text (blank steps, repeated characters,
noise). ``optkit.pipeline`` runs the CPU stages on a :class:`Scene`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optkit.data import ALPHABET, Document, default_document

__all__ = ["Scene", "simulate", "default_scene", "CROP_H", "REC_W", "T_STEPS", "BLANK", "N_CLASSES"]

CROP_H = 32                     # recogniser input height
REC_W = 128                     # recogniser input width
T_STEPS = REC_W // 4            # recogniser time steps (one per 4 pixels of width)
BLANK = 0                       # CTC blank class; class c > 0 is ALPHABET[c - 1]
N_CLASSES = len(ALPHABET) + 1


# --------------------------------------------------------------------------- simulated models
@dataclass
class Scene:
    """Everything the CPU stages consume: the page and what the (simulated) models output.

    rects: (M, 4) int32 x, y, w, h (axis-aligned box of each detector candidate);
    scores: (M,) float32; quads: (M, 4, 2) float32, corners in the detector's arbitrary order;
    source: (M,) int64, the ground-truth word each candidate came from (-1: a false box);
    logits: (M, T, C) float32, the recogniser's output for each candidate's crop.
    """

    image: np.ndarray
    rects: np.ndarray
    scores: np.ndarray
    quads: np.ndarray
    source: np.ndarray
    logits: np.ndarray
    doc: Document

    @property
    def n_candidates(self) -> int:
        return len(self.scores)

    def __repr__(self) -> str:
        return (f"Scene({self.doc!r}, {self.n_candidates} candidates, "
                f"logits {tuple(self.logits.shape)})")


def _unique_scores(rng, s):
    """Scores on a 2**-20 grid (exact in float32), all different, none equal to a threshold."""
    k = np.round(np.clip(s, 0.0, 0.999) * 2 ** 20).astype(np.int64)
    order = np.argsort(k, kind="stable")
    ks = k[order]
    ks = np.maximum.accumulate(ks - np.arange(len(ks))) + np.arange(len(ks))
    k[order] = ks
    return (k / 2 ** 20).astype(np.float32)


def _ctc_path(rng, label_ids, t_steps):
    """A plausible frame-by-frame label path for a word: blanks, characters held for a few
    frames, and a blank between two equal characters (so greedy decoding gives them back)."""
    n = len(label_ids)
    hold = rng.integers(1, 4, n)                       # frames per character
    gap = rng.integers(0, 3, n)                        # blanks after each character
    need = np.zeros(n, np.int64)                       # the blank two equal characters need
    for i in range(n - 1):
        if label_ids[i] == label_ids[i + 1]:
            need[i] = 1
    gap = np.maximum(gap, need)
    if n + need.sum() > t_steps:
        raise ValueError(f"a word of {n} characters ({int(need.sum())} repeated) needs more than the "
                         f"recogniser's {t_steps} time steps")
    while hold.sum() + gap.sum() > t_steps:            # too long: shorten holds, then gaps
        if hold.max() > 1:
            hold[np.argmax(hold)] -= 1
        else:
            gap[np.argmax(gap - need)] -= 1
    path = np.full(t_steps, BLANK, np.int64)
    t = int(rng.integers(0, t_steps - hold.sum() - gap.sum() + 1))
    for c, h, g in zip(label_ids, hold, gap):
        path[t:t + h] = c
        t += h + g
    return path


def simulate(doc: Document, n_candidates: int | None = None, seed: int | None = None) -> Scene:
    """Simulated detector + recogniser outputs for a document (deterministic).

    About ``20/3 * n_boxes`` candidates by default (2,000 for 300 words): one close box per
    word with a high score, jittered duplicates with lower scores (NMS removes most), and
    false boxes on empty paper with low scores. Recogniser logits (T=32 steps, C=63
    classes: blank + ALPHABET) are made from each candidate's ground-truth word ("" for a
    false box) plus Gaussian noise.
    """
    if not isinstance(doc, Document):
        raise TypeError(f"simulate() needs an optkit.data.Document, got {type(doc).__name__}")
    n = doc.n_boxes
    if n_candidates is None:
        n_candidates = int(round(n * 20 / 3))
    if isinstance(n_candidates, bool) or not isinstance(n_candidates, (int, np.integer)):
        raise ValueError(f"n_candidates must be an integer, got {n_candidates!r}")
    if n_candidates < n:
        raise ValueError(f"n_candidates={n_candidates} is smaller than the number of words ({n})")
    rng = np.random.default_rng([doc.seed if seed is None else seed, 0x0C12])
    w_img, h_img = doc.size
    gt = doc.quads.astype(np.float64)
    n_dup = int(round((n_candidates - n) * 0.9))
    n_fp = n_candidates - n - n_dup

    centre = gt.mean(axis=1)
    # main candidates: the word's quad, corners jittered by up to a pixel
    main = gt + rng.uniform(-1.0, 1.0, gt.shape)
    # duplicates: shifted and scaled copies of a random word's quad
    src = rng.integers(0, n, n_dup)
    bw = np.linalg.norm(gt[src, 1] - gt[src, 0], axis=1)
    bh = np.linalg.norm(gt[src, 3] - gt[src, 0], axis=1)
    shift = np.stack([rng.uniform(-0.08, 0.08, n_dup) * bw, rng.uniform(-0.1, 0.1, n_dup) * bh], 1)
    scale = rng.uniform(0.93, 1.08, (n_dup, 1, 1))
    dup = (gt[src] - centre[src, None]) * scale + centre[src, None] + shift[:, None]
    dup += rng.uniform(-1.0, 1.0, dup.shape)
    # false boxes: small rectangles anywhere, tilted like the page
    fw, fh = rng.uniform(20, 120, n_fp), rng.uniform(12, 40, n_fp)
    fc = np.stack([rng.uniform(0.05, 0.95, n_fp) * w_img, rng.uniform(0.05, 0.95, n_fp) * h_img], 1)
    ang = rng.uniform(-0.05, 0.05, n_fp)
    ux, uy = np.array([-0.5, 0.5, 0.5, -0.5]), np.array([-0.5, -0.5, 0.5, 0.5])
    fx = fc[:, :1] + ux * fw[:, None] * np.cos(ang)[:, None] - uy * fh[:, None] * np.sin(ang)[:, None]
    fy = fc[:, 1:] + ux * fw[:, None] * np.sin(ang)[:, None] + uy * fh[:, None] * np.cos(ang)[:, None]
    fp = np.stack([fx, fy], -1)

    quads = np.concatenate([main, dup, fp])
    quads[..., 0] = np.clip(quads[..., 0], 0, w_img - 1)
    quads[..., 1] = np.clip(quads[..., 1], 0, h_img - 1)
    source = np.concatenate([np.arange(n), src, np.full(n_fp, -1)]).astype(np.int64)
    scores = np.concatenate([rng.uniform(0.75, 0.99, n), rng.uniform(0.35, 0.85, n_dup),
                             rng.uniform(0.05, 0.45, n_fp)])
    # shuffle the candidates (a detector emits them in no particular order) and the corners
    perm = rng.permutation(n_candidates)
    quads, source, scores = quads[perm], source[perm], scores[perm]
    corner_perm = np.argsort(rng.random((n_candidates, 4)), axis=1)
    quads = np.take_along_axis(quads, corner_perm[..., None], axis=1).astype(np.float32)
    scores = _unique_scores(rng, scores)
    lo = np.floor(quads.min(axis=1)).astype(np.int32)
    hi = np.ceil(quads.max(axis=1)).astype(np.int32)
    rects = np.concatenate([lo, np.maximum(hi - lo, 1)], axis=1).astype(np.int32)

    # recogniser: logits from the ground-truth text of each candidate
    logits = rng.standard_normal((n_candidates, T_STEPS, N_CLASSES), dtype=np.float32)
    index = {ch: i + 1 for i, ch in enumerate(ALPHABET)}
    paths = np.empty((n_candidates, T_STEPS), np.int64)
    unknown = sorted({ch for text in doc.texts for ch in text} - set(index))
    if unknown:
        raise ValueError(f"the recogniser cannot spell {''.join(unknown)!r}: its classes are {ALPHABET!r}")
    for m in range(n_candidates):
        text = doc.texts[source[m]] if source[m] >= 0 else ""
        paths[m] = _ctc_path(rng, [index[ch] for ch in text], T_STEPS)
    boost = rng.uniform(6.0, 9.0, (n_candidates, T_STEPS)).astype(np.float32)
    np.add.at(logits, (np.arange(n_candidates)[:, None], np.arange(T_STEPS)[None, :], paths), boost)
    return Scene(image=doc.image, rects=rects, scores=scores, quads=quads, source=source,
                 logits=logits, doc=doc)


_DEFAULT_SCENE = None


def default_scene() -> Scene:
    """:func:`simulate` of :func:`optkit.data.default_document` (1600x1200, 300 words,
    2,000 candidates); built once per process. Treat it as read-only."""
    global _DEFAULT_SCENE
    if _DEFAULT_SCENE is None:
        _DEFAULT_SCENE = simulate(default_document())
    return _DEFAULT_SCENE
