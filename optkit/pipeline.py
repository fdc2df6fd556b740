"""The OCR case study: the CPU side of a two-model text pipeline, slow and fast.

A page goes through these CPU stages (the models themselves are simulated, see below):

    image --grayscale--> gray --contrast--> norm --binarize--> binary      (pre-processing)
    detector candidates --nms--> kept boxes --order--> clockwise quads    (detector post-proc.)
    image + quads --crop--> (K, 32, 128, 3) uint8 --batch--> (K, 3, 32, 128) float32
    recogniser logits (K, T, C) --ctc--> strings                           (recogniser post-proc.)

For every stage there is a ``*_reference`` function, written the way a capable beginner
writes it (Python loops over pixels, boxes or time steps, NumPy used one element at a time),
and faster versions built with NumPy/OpenCV as notebook 02 builds them. All versions of a
stage give **exactly** the same output (bit for bit, the tests check it); the definitions are
chosen so that this is possible:

* grayscale: ``(9798*R + 19235*G + 3735*B + 16384) // 32768``, the weights 0.299, 0.587,
  0.114 in fixed point with 15 fractional bits, which is what ``cv2.cvtColor`` computes for
  8-bit images in OpenCV 5 (a test checks all 2**24 colours);
* contrast: a linear stretch between the 1st and 99th percentile of the histogram, in
  integers, rounded, clipped to 0..255;
* binarize: ink (255) where the normalised value is below 128 (0x80), paper (0) elsewhere;
* nms: greedy non-maximum suppression on integer rectangles with ``cv2.dnn.NMSBoxes``'s
  rules (score > score_threshold, suppress when IoU > iou_threshold, highest score first);
* order: corners as top-left = smallest x+y, bottom-right = largest x+y, then top-right /
  bottom-left by y-x (first occurrence wins on ties, as ``min``/``np.argmin`` do);
* crop: each quad is warped to a 32-pixel-high patch whose width keeps its aspect ratio;
  patches wider than 128 are resized to 128 (INTER_AREA); narrower ones are padded with 0;
* batch: ``(pixel / 255 - mean) / std`` per BGR channel computed in float64, stored as
  float32, NCHW;
* ctc: greedy decoding: best class per time step, merge repeats, drop blanks (class 0).

The detector and recogniser are simulated by :func:`simulate` (no model download): candidates
are the ground-truth word quads of an :class:`optkit.data.Document`, plus jittered duplicates
and a few false boxes, with scores; the "recogniser" logits are made from the ground-truth
text (blank steps, repeated characters, noise). Model time is not part of any timing.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import cv2
import numpy as np

from .data import ALPHABET, Document, default_document, make_document

__all__ = [
    "Scene", "Result", "simulate", "default_scene",
    "CROP_H", "REC_W", "MEAN", "STD", "BLANK", "THRESHOLD", "IOU_THRESHOLD", "SCORE_THRESHOLD",
    "grayscale_reference", "grayscale_numpy", "grayscale_shift", "grayscale_fast",
    "contrast_reference", "contrast_numpy", "contrast_lut", "contrast_take", "contrast_fast",
    "binarize_reference", "binarize_numpy", "binarize_hexmask", "binarize_fast",
    "nms_reference", "nms_numpy", "nms_fast",
    "order_reference", "order_fast",
    "crop_reference", "resize_pad_reference", "crop_pad_reference", "crop_fast",
    "batch_reference", "batch_float32", "batch_take", "batch_fast",
    "recognise", "ctc_reference", "ctc_fast",
    "REFERENCE", "FAST", "VARIANTS", "STAGES", "run", "run_timed", "run_reference", "run_fast",
    "assert_same_result", "same_result", "stage_inputs", "bench_main",
]

# --------------------------------------------------------------------------- constants
CROP_H = 32                     # recogniser input height
REC_W = 128                     # recogniser input width
T_STEPS = REC_W // 4            # recogniser time steps (one per 4 pixels of width)
BLANK = 0                       # CTC blank class; class c > 0 is ALPHABET[c - 1]
N_CLASSES = len(ALPHABET) + 1
MEAN = (0.406, 0.456, 0.485)    # per channel, B, G, R (ImageNet's values, in BGR order)
STD = (0.225, 0.224, 0.229)
THRESHOLD = 0x80                # binarisation: ink where the normalised value < 128
LOW_PCT, HIGH_PCT = 1, 99       # contrast stretch between these histogram percentiles
IOU_THRESHOLD = 0.5
SCORE_THRESHOLD = 0.3
GRAY_WEIGHTS = (3735, 19235, 9798)   # B, G, R weights in units of 1/32768 (sum 32768)


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
    for i in range(n - 1):
        if label_ids[i] == label_ids[i + 1]:
            gap[i] = max(gap[i], 1)
    while hold.sum() + gap.sum() > t_steps:            # too long: shorten holds, then gaps
        if hold.max() > 1:
            hold[np.argmax(hold)] -= 1
        else:
            j = np.argmax(gap)
            gap[j] -= 1
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


# =========================================================================== stage 1: grayscale
def grayscale_reference(image):
    """BGR -> gray, one pixel at a time
    (OpenCV's formula, in integers)."""
    h, w, _ = image.shape
    gray = np.zeros((h, w), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            b, g, r = image[y, x]
            gray[y, x] = (9798 * int(r) + 19235 * int(g) + 3735 * int(b) + 16384) // 32768
    return gray


def grayscale_numpy(image):
    """Vectorised: the same formula on whole channels (NumPy's default int64)."""
    img = image.astype(np.int64)
    gray = (9798 * img[..., 2] + 19235 * img[..., 1] + 3735 * img[..., 0] + 16384) // 32768
    return gray.astype(np.uint8)


def grayscale_shift(image, out=None):
    """Smaller dtype (uint32 is enough: 255 * 32768 + 16384 < 2**32, the rounding term included), in-place operations into
    reused buffers, and a shift by 15 bits instead of a division by 32768 (= 0x8000)."""
    h, w, _ = image.shape
    acc = np.empty((h, w), np.uint32)
    tmp = np.empty((h, w), np.uint32)
    np.multiply(image[..., 2], np.uint32(9798), out=acc, dtype=np.uint32)
    np.multiply(image[..., 1], np.uint32(19235), out=tmp, dtype=np.uint32)
    acc += tmp
    np.multiply(image[..., 0], np.uint32(3735), out=tmp, dtype=np.uint32)
    acc += tmp
    acc += 0x4000
    acc >>= 15
    if out is None:
        out = np.empty((h, w), np.uint8)
    np.copyto(out, acc, casting="unsafe")
    return out


def grayscale_fast(image):
    """The same job in one OpenCV call."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


# =========================================================================== stage 2: contrast
def _stretch_bounds(hist, n, low=LOW_PCT, high=HIGH_PCT):
    lo_count = n * low // 100
    hi_count = n - n * (100 - high) // 100
    cum = 0
    lo = hi = None
    for v in range(256):
        cum += int(hist[v])
        if lo is None and cum > lo_count:
            lo = v
        if hi is None and cum >= hi_count:
            hi = v
    if hi <= lo:
        hi = lo + 1
    return lo, hi


def contrast_reference(gray, low=LOW_PCT, high=HIGH_PCT):
    """Stretch gray values so the low..high percentiles span 0..255, pixel by pixel."""
    h, w = gray.shape
    hist = [0] * 256
    for y in range(h):
        for x in range(w):
            hist[gray[y, x]] += 1
    n = h * w
    lo_count = n * low // 100
    hi_count = n - n * (100 - high) // 100
    cum = 0
    lo = hi = None
    for v in range(256):
        cum += hist[v]
        if lo is None and cum > lo_count:
            lo = v
        if hi is None and cum >= hi_count:
            hi = v
    if hi <= lo:
        hi = lo + 1
    out = np.zeros((h, w), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            v = ((int(gray[y, x]) - lo) * 255 + (hi - lo) // 2) // (hi - lo)
            out[y, x] = min(255, max(0, v))
    return out


def _contrast_table(hist, n, low=LOW_PCT, high=HIGH_PCT):
    """The 256-entry lookup table of the stretch (vectorised over the 256 gray values)."""
    cum = np.cumsum(hist)
    lo_count = n * low // 100
    hi_count = n - n * (100 - high) // 100
    lo = int(np.searchsorted(cum, lo_count, side="right"))    # first v with cum[v] > lo_count
    hi = int(np.searchsorted(cum, hi_count, side="left"))     # first v with cum[v] >= hi_count
    if hi <= lo:
        hi = lo + 1
    v = np.arange(256, dtype=np.int64)
    table = ((v - lo) * 255 + (hi - lo) // 2) // (hi - lo)
    return np.clip(table, 0, 255).astype(np.uint8)


def contrast_numpy(gray, low=LOW_PCT, high=HIGH_PCT):
    """Vectorised: np.bincount for the histogram, whole-image integer arithmetic."""
    hist = np.bincount(gray.ravel(), minlength=256)
    cum = np.cumsum(hist)
    n = gray.size
    lo = int(np.searchsorted(cum, n * low // 100, side="right"))
    hi = int(np.searchsorted(cum, n - n * (100 - high) // 100, side="left"))
    if hi <= lo:
        hi = lo + 1
    v = gray.astype(np.int64)
    out = ((v - lo) * 255 + (hi - lo) // 2) // (hi - lo)
    return np.clip(out, 0, 255).astype(np.uint8)


def contrast_lut(gray, low=LOW_PCT, high=HIGH_PCT):
    """Only 256 possible inputs: compute the 256 answers once, then look them up
    (fancy indexing ``table[gray]``)."""
    table = _contrast_table(np.bincount(gray.ravel(), minlength=256), gray.size, low, high)
    return table[gray]


def contrast_take(gray, low=LOW_PCT, high=HIGH_PCT):
    """The same lookup with ``np.take`` (a simpler code path than fancy indexing)."""
    table = _contrast_table(np.bincount(gray.ravel(), minlength=256), gray.size, low, high)
    return np.take(table, gray)


def contrast_fast(gray, low=LOW_PCT, high=HIGH_PCT):
    """OpenCV for both halves: cv2.calcHist for the histogram, cv2.LUT for the lookup."""
    hist = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    table = _contrast_table(hist, gray.size, low, high)
    return cv2.LUT(gray, table)


# =========================================================================== stage 3: binarize
def binarize_reference(norm, threshold=THRESHOLD):
    """Ink (255) where the pixel is darker than the threshold, paper (0) elsewhere."""
    h, w = norm.shape
    out = np.zeros((h, w), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            if norm[y, x] < threshold:
                out[y, x] = 255
    return out


def binarize_numpy(norm, threshold=THRESHOLD):
    """Vectorised with np.where (note: the 255/0 constants make an int64 temporary)."""
    return np.where(norm < threshold, 255, 0).astype(np.uint8)


def binarize_hexmask(norm):
    """Bit trick for the threshold 0x80: a uint8 is below 128 exactly when its top bit
    (0x80) is 0. Invert the bits, read them as int8 (top bit = sign) and shift right by 7:
    the sign bit is copied into all 8 bits, giving 0xFF (ink) or 0x00 (paper)."""
    inv = np.invert(norm).view(np.int8)
    return np.right_shift(inv, 7).view(np.uint8)


def binarize_fast(norm, threshold=THRESHOLD):
    """cv2.threshold: THRESH_BINARY_INV gives 255 where value <= thresh, i.e. < threshold."""
    return cv2.threshold(norm, threshold - 1, 255, cv2.THRESH_BINARY_INV)[1]


# =========================================================================== stage 4: NMS
def _iou(a, b):
    """Intersection over union of two (x, y, w, h) rectangles."""
    x0 = max(a[0], b[0])
    y0 = max(a[1], b[1])
    x1 = min(a[0] + a[2], b[0] + b[2])
    y1 = min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def nms_reference(rects, scores, iou_threshold=IOU_THRESHOLD, score_threshold=SCORE_THRESHOLD):
    """Greedy NMS: best score first; keep a box unless it overlaps a kept one too much."""
    order = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    keep = []
    for i in order:
        if scores[i] <= score_threshold:
            continue
        suppressed = False
        for k in keep:
            if _iou(rects[i], rects[k]) > iou_threshold:
                suppressed = True
                break
        if not suppressed:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def nms_numpy(rects, scores, iou_threshold=IOU_THRESHOLD, score_threshold=SCORE_THRESHOLD):
    """Vectorised over candidates: each kept box suppresses all the others at once."""
    scores = np.asarray(scores, np.float64)
    r = np.asarray(rects, np.int64)
    x0, y0 = r[:, 0], r[:, 1]
    x1, y1 = x0 + r[:, 2], y0 + r[:, 3]
    area = r[:, 2] * r[:, 3]
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > score_threshold]
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        w = np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest])
        h = np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest])
        inter = np.maximum(w, 0) * np.maximum(h, 0)
        union = area[i] + area[rest] - inter
        iou = inter / np.maximum(union, 1)
        order = rest[iou <= iou_threshold]
    return np.array(keep, dtype=np.int64)


def nms_fast(rects, scores, iou_threshold=IOU_THRESHOLD, score_threshold=SCORE_THRESHOLD):
    """OpenCV's NMS (C++), same rules."""
    idx = cv2.dnn.NMSBoxes(np.asarray(rects).tolist(), np.asarray(scores, np.float32).tolist(),
                           float(score_threshold), float(iou_threshold))
    return np.asarray(idx, dtype=np.int64).reshape(-1)


# =========================================================================== stage 5: corner order
def order_reference(quads):
    """Put each quad's corners in the order TL, TR, BR, BL."""
    out = np.zeros((len(quads), 4, 2), dtype=np.float32)
    for i, quad in enumerate(quads):
        pts = quad.tolist()
        sums = [x + y for x, y in pts]
        tl = sums.index(min(sums))
        br = sums.index(max(sums))
        others = [j for j in range(4) if j != tl and j != br]
        diffs = [pts[j][1] - pts[j][0] for j in others]
        if diffs[0] <= diffs[1]:
            tr, bl = others[0], others[1]
        else:
            tr, bl = others[1], others[0]
        out[i] = [pts[tl], pts[tr], pts[br], pts[bl]]
    return out


def order_fast(quads):
    """Vectorised: argmin/argmax over the corner axis, picked with take_along_axis."""
    q = np.asarray(quads, np.float32)
    k = len(q)
    if k == 0:
        return np.zeros((0, 4, 2), np.float32)
    q64 = q.astype(np.float64)
    s = q64[..., 0] + q64[..., 1]
    d = q64[..., 1] - q64[..., 0]
    tl = s.argmin(axis=1)
    br = s.argmax(axis=1)
    # the two remaining corners, in index order
    j = np.arange(4)
    rest = (j != tl[:, None]) & (j != br[:, None])
    others = np.nonzero(rest)[1].reshape(k, 2)
    if (tl == br).any():
        raise ValueError("degenerate quad: all four corners have the same x + y")
    od = np.take_along_axis(d, others, axis=1)
    first_is_tr = od[:, 0] <= od[:, 1]
    tr = np.where(first_is_tr, others[:, 0], others[:, 1])
    bl = np.where(first_is_tr, others[:, 1], others[:, 0])
    idx = np.stack([tl, tr, br, bl], axis=1)
    return np.take_along_axis(q, idx[..., None], axis=1)


# =========================================================================== stage 6: crops
def _crop_width(tl, tr, br, bl, height):
    top = math.sqrt((tr[0] - tl[0]) * (tr[0] - tl[0]) + (tr[1] - tl[1]) * (tr[1] - tl[1]))
    bottom = math.sqrt((br[0] - bl[0]) * (br[0] - bl[0]) + (br[1] - bl[1]) * (br[1] - bl[1]))
    left = math.sqrt((bl[0] - tl[0]) * (bl[0] - tl[0]) + (bl[1] - tl[1]) * (bl[1] - tl[1]))
    right = math.sqrt((br[0] - tr[0]) * (br[0] - tr[0]) + (br[1] - tr[1]) * (br[1] - tr[1]))
    qw = (top + bottom) / 2
    qh = max((left + right) / 2, 1.0)
    return max(1, round(height * qw / qh))


def crop_reference(image, quads, height=CROP_H):
    """Warp every quad to an upright patch `height` pixels high (aspect ratio kept)."""
    patches = []
    for quad in quads:
        tl, tr, br, bl = quad.tolist()
        w = _crop_width(tl, tr, br, bl, height)
        dst = np.array([[0, 0], [w - 1, 0], [w - 1, height - 1], [0, height - 1]], np.float32)
        m = cv2.getPerspectiveTransform(np.asarray(quad, np.float32), dst)
        patch = cv2.warpPerspective(image, m, (w, height), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
        patches.append(patch)
    return patches


def resize_pad_reference(patches, width=REC_W, height=CROP_H):
    """Squeeze patches wider than `width`; pad narrower ones on the right with 0."""
    out = []
    for patch in patches:
        if patch.shape[1] > width:
            patch = cv2.resize(patch, (width, height), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((height, width, 3), dtype=np.uint8)
        canvas[:, :patch.shape[1]] = patch
        out.append(canvas)
    if not out:
        return np.zeros((0, height, width, 3), np.uint8)
    return np.stack(out)


def crop_pad_reference(image, quads, height=CROP_H, width=REC_W):
    """The crop stage as the beginner runs it: crop every box, then resize/pad every patch."""
    return resize_pad_reference(crop_reference(image, quads, height), width, height)


def _crop_widths(quads, height):
    q = np.asarray(quads, np.float32).astype(np.float64)
    tl, tr, br, bl = q[:, 0], q[:, 1], q[:, 2], q[:, 3]

    def length(a, b):
        dx = b[:, 0] - a[:, 0]
        dy = b[:, 1] - a[:, 1]
        return np.sqrt(dx * dx + dy * dy)

    qw = (length(tl, tr) + length(bl, br)) / 2
    qh = np.maximum((length(tl, bl) + length(tr, br)) / 2, 1.0)
    return np.maximum(1, np.rint(height * qw / qh)).astype(np.int64)


def crop_fast(image, quads, height=CROP_H, width=REC_W, out=None):
    """Same crops, but: widths computed for all boxes at once, each warp written straight
    into its slot of one preallocated (K, height, width, 3) buffer (no per-box canvas, no
    final stack), destination corners built once per width."""
    quads = np.asarray(quads, np.float32)
    k = len(quads)
    if out is None:
        out = np.zeros((k, height, width, 3), np.uint8)
    else:
        if out.shape != (k, height, width, 3) or out.dtype != np.uint8:
            raise ValueError(f"out must be a uint8 array of shape {(k, height, width, 3)}")
        out[...] = 0
    widths = _crop_widths(quads, height).tolist()
    dsts = {}
    for i in range(k):
        w = widths[i]
        dst = dsts.get(w)
        if dst is None:
            dst = dsts[w] = np.array([[0, 0], [w - 1, 0], [w - 1, height - 1], [0, height - 1]],
                                     np.float32)
        m = cv2.getPerspectiveTransform(quads[i], dst)
        if w <= width:
            cv2.warpPerspective(image, m, (w, height), dst=out[i, :, :w], flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REPLICATE)
        else:
            patch = cv2.warpPerspective(image, m, (w, height), flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REPLICATE)
            cv2.resize(patch, (width, height), dst=out[i], interpolation=cv2.INTER_AREA)
    return out


# =========================================================================== stage 7: batch
def batch_reference(crops, mean=MEAN, std=STD):
    """uint8 NHWC crops -> float32 NCHW, (x / 255 - mean) / std per channel, box by box."""
    mean = np.array(mean)
    std = np.array(std)
    items = []
    for crop in crops:
        x = crop / 255.0                       # float64
        x = (x - mean) / std
        items.append(x.transpose(2, 0, 1))
    if not items:
        return np.zeros((0, 3) + tuple(np.shape(crops)[1:3]), np.float32)
    return np.stack(items).astype(np.float32)


def batch_float32(crops, mean=MEAN, std=STD, out=None):
    """Whole batch at once in float32, in place, one transposed copy: faster, but float32
    arithmetic rounds differently (equal to the reference within about 1e-6, not bit for bit)."""
    k, h, w, c = crops.shape
    if out is None:
        out = np.empty((k, c, h, w), np.float32)
    np.copyto(out, crops.transpose(0, 3, 1, 2), casting="unsafe")
    scale = (1.0 / (255.0 * np.asarray(std))).astype(np.float32)[:, None, None]
    offset = (-np.asarray(mean) / np.asarray(std)).astype(np.float32)[:, None, None]
    out *= scale
    out += offset
    return out


def _batch_tables(mean=MEAN, std=STD):
    v = np.arange(256, dtype=np.float64)
    return np.stack([((v / 255.0 - m) / s).astype(np.float32) for m, s in zip(mean, std)])


_TABLES = {}


def _tables(mean, std):
    key = (tuple(mean), tuple(std))
    t = _TABLES.get(key)
    if t is None:
        t = _TABLES[key] = _batch_tables(mean, std)
    return t


def batch_take(crops, mean=MEAN, std=STD, out=None):
    """uint8 has only 256 values per channel: look up the float64 formula's 256 float32
    results (exactly the reference's numbers) with np.take, straight into the NCHW buffer."""
    tables = _tables(mean, std)
    k, h, w, c = crops.shape
    if out is None:
        out = np.empty((k, c, h, w), np.float32)
    for ch in range(c):
        np.take(tables[ch], crops[..., ch], out=out[:, ch])
    return out


def batch_fast(crops, mean=MEAN, std=STD):
    """The same lookup done by cv2.LUT (a 3-channel float32 table), then one NCHW copy."""
    k, h, w, c = crops.shape
    if k == 0:
        return np.zeros((0, c, h, w), np.float32)
    lut = np.ascontiguousarray(_tables(mean, std).T).reshape(1, 256, c)
    f = cv2.LUT(np.ascontiguousarray(crops).reshape(k * h, w, c), lut)
    return np.ascontiguousarray(f.reshape(k, h, w, c).transpose(0, 3, 1, 2))


# =========================================================================== stage 8: CTC decode
def recognise(scene: Scene, keep):
    """The simulated recogniser: the logits it outputs for the kept boxes, (K, T, C)."""
    return np.take(scene.logits, np.asarray(keep, np.int64), axis=0)


def ctc_reference(logits, alphabet=ALPHABET, blank=BLANK):
    """Greedy CTC decoding, one box and one time step at a time."""
    texts = []
    for n in range(logits.shape[0]):
        chars = []
        prev = blank
        for t in range(logits.shape[1]):
            best = int(np.argmax(logits[n, t]))
            if best != blank and best != prev:
                chars.append(alphabet[best - 1])
            prev = best
        texts.append("".join(chars))
    return texts


def ctc_fast(logits, alphabet=ALPHABET, blank=BLANK):
    """argmax over the class axis for all boxes and steps at once, a boolean mask for
    "not blank and not a repeat", one lookup to characters, one split into strings."""
    logits = np.asarray(logits)
    if logits.shape[0] == 0:
        return []
    best = logits.argmax(axis=2)
    keep = best != blank
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    chars = np.frombuffer(("\0" * (blank + 1) + alphabet).encode("ascii"), np.uint8)
    if blank != 0:
        raise ValueError("ctc_fast assumes the blank class is 0")
    text = np.take(chars, best[keep]).tobytes().decode("ascii")
    ends = np.cumsum(keep.sum(axis=1)).tolist()
    starts = [0] + ends[:-1]
    return [text[a:b] for a, b in zip(starts, ends)]


# =========================================================================== end to end
STAGES = ("grayscale", "contrast", "binarize", "nms", "order", "crop", "batch", "ctc")

REFERENCE = {
    "grayscale": grayscale_reference, "contrast": contrast_reference,
    "binarize": binarize_reference, "nms": nms_reference, "order": order_reference,
    "crop": crop_pad_reference, "batch": batch_reference, "ctc": ctc_reference,
}
FAST = {
    "grayscale": grayscale_fast, "contrast": contrast_fast, "binarize": binarize_fast,
    "nms": nms_fast, "order": order_fast, "crop": crop_fast, "batch": batch_fast,
    "ctc": ctc_fast,
}
#: Every version of every stage, slowest first (what notebook 02 builds, step by step).
VARIANTS = {
    "grayscale": {"python loops": grayscale_reference, "numpy int64": grayscale_numpy,
                  "uint32 + shift, in place": grayscale_shift, "cv2.cvtColor": grayscale_fast},
    "contrast": {"python loops": contrast_reference, "numpy int64": contrast_numpy,
                 "lookup table[gray]": contrast_lut, "np.take(table, gray)": contrast_take,
                 "cv2.calcHist + cv2.LUT": contrast_fast},
    "binarize": {"python loops": binarize_reference, "np.where": binarize_numpy,
                 "hex mask 0x80": binarize_hexmask, "cv2.threshold": binarize_fast},
    "nms": {"python loops": nms_reference, "numpy": nms_numpy, "cv2.dnn.NMSBoxes": nms_fast},
    "order": {"python loops": order_reference, "numpy": order_fast},
    "crop": {"python loops": crop_pad_reference, "preallocated buffer": crop_fast},
    "batch": {"python loops, float64": batch_reference, "float32, in place": batch_float32,
              "np.take lookup table": batch_take, "cv2.LUT lookup table": batch_fast},
    "ctc": {"python loops": ctc_reference, "numpy argmax + masks": ctc_fast},
}


@dataclass
class Result:
    """What the pipeline returns: binary: (H, W) uint8 map; keep: (K,) int64 kept candidates
    (best score first); quads: (K, 4, 2) float32 TL, TR, BR, BL; batch: (K, 3, 32, 128)
    float32 recogniser input; texts: K decoded strings."""

    binary: np.ndarray
    keep: np.ndarray
    quads: np.ndarray
    batch: np.ndarray
    texts: list

    def __repr__(self) -> str:
        return (f"Result(binary {self.binary.shape}, {len(self.keep)} boxes kept, "
                f"batch {tuple(self.batch.shape)}, texts {self.texts[:3]}...)")


def _as_scene(obj) -> Scene:
    if isinstance(obj, Scene):
        return obj
    if isinstance(obj, Document):
        return simulate(obj)
    raise TypeError(f"expected an optkit.pipeline.Scene or optkit.data.Document, "
                    f"got {type(obj).__name__}")


def _stage_functions(stages):
    """The reference stage functions, with the given ones swapped in (unknown names refused)."""
    f = dict(REFERENCE)
    if stages:
        unknown = set(stages) - set(STAGES)
        if unknown:
            raise ValueError(f"unknown stage(s) {sorted(unknown)}; stages are {STAGES}")
        f.update(stages)
    return f


def run(scene, stages=None):
    """Run the pipeline with the given stages.

    ``stages``: a dict stage -> function; missing
    stages use the reference. ``scene``: a Scene
    (or a Document, simulated first). A real
    detector would read ``binary`` and a real
    recogniser ``batch``; both models are simulated
    here (see :func:`simulate`), so those two are
    returned for checking. (Short lines: notebook
    01 shows them in a ``%lprun`` table.)"""
    scene = _as_scene(scene)
    f = _stage_functions(stages)
    gray = f["grayscale"](scene.image)
    norm = f["contrast"](gray)
    binary = f["binarize"](norm)
    keep = f["nms"](scene.rects, scene.scores)
    quads = f["order"](scene.quads[keep])
    crops = f["crop"](scene.image, quads)
    batch = f["batch"](crops)
    texts = f["ctc"](recognise(scene, keep))
    return Result(binary=binary, quads=quads,
                  batch=batch, texts=list(texts),
                  keep=np.asarray(keep))


def run_timed(scene, stages=None, timer=None):
    """Like :func:`run`, but also returns the seconds each stage took in this one run:
    ``(Result, {stage: seconds})`` (plain ``time.perf_counter`` around each stage call).

    Why not :mod:`optkit.bench`: each stage consumes the previous stage's output within one
    run, so the stages cannot be repeated on their own here; this is a breakdown of one run,
    rough by nature. Compare whole pipelines with ``bench.compare``/``bench.measure``
    (medians of interleaved rounds), stages with ``bench.compare`` on each stage's inputs."""
    import time

    timer = timer or time.perf_counter
    scene = _as_scene(scene)
    f = _stage_functions(stages)
    t = {}

    def call(name, *args):
        t0 = timer()
        out = f[name](*args)
        t[name] = timer() - t0
        return out

    gray = call("grayscale", scene.image)
    norm = call("contrast", gray)
    binary = call("binarize", norm)
    keep = call("nms", scene.rects, scene.scores)
    quads = call("order", scene.quads[keep])
    crops = call("crop", scene.image, quads)
    batch = call("batch", crops)
    logits = recognise(scene, keep)
    texts = call("ctc", logits)
    res = Result(binary=binary, keep=np.asarray(keep), quads=quads, batch=batch, texts=list(texts))
    return res, t


def run_reference(scene):
    """The pure-Python reference pipeline, end to end."""
    return run(scene, REFERENCE)


def run_fast(scene):
    """The NumPy/OpenCV pipeline, end to end (no Numba, Cython or C of our own)."""
    return run(scene, FAST)


def assert_same_result(a: Result, b: Result) -> None:
    """Raise AssertionError naming the first field where two results differ (all exact)."""
    for name in ("binary", "keep", "quads", "batch"):
        x, y = getattr(a, name), getattr(b, name)
        if x.shape != y.shape:
            raise AssertionError(f"{name}: shape {x.shape} != {y.shape}")
        if not np.array_equal(x, y):
            n = int(np.count_nonzero(x != y))
            raise AssertionError(f"{name}: {n} of {x.size} values differ")
    if list(a.texts) != list(b.texts):
        bad = next(i for i, (s, t) in enumerate(zip(a.texts, b.texts)) if s != t) \
            if len(a.texts) == len(b.texts) else None
        raise AssertionError(f"texts differ (lengths {len(a.texts)}, {len(b.texts)}; first at {bad})")


def same_result(a: Result, b: Result) -> bool:
    try:
        assert_same_result(a, b)
    except AssertionError:
        return False
    return True


def stage_inputs(scene) -> dict:
    """The input arguments of every stage for this scene (computed with the fast stages),
    so each stage can be timed on its own: {stage: tuple of args}."""
    scene = _as_scene(scene)
    gray = grayscale_fast(scene.image)
    norm = contrast_fast(gray)
    keep = nms_fast(scene.rects, scene.scores)
    quads = order_fast(scene.quads[keep])
    crops = crop_fast(scene.image, quads)
    return {
        "grayscale": (scene.image,), "contrast": (gray,), "binarize": (norm,),
        "nms": (scene.rects, scene.scores), "order": (scene.quads[keep],),
        "crop": (scene.image, quads), "batch": (crops,), "ctc": (recognise(scene, keep),),
    }


# =========================================================================== CLI
def bench_main(argv=None) -> int:
    """``optkit bench pipeline [--json] [--width W --height H --boxes N --seed S] [--repeat R]``

    Times every stage (reference vs NumPy/OpenCV, outputs checked equal first) and the whole
    pipeline on the default document, and prints the table (or JSON with the ratios).
    """
    import argparse
    import json

    from . import bench
    from .cliargs import int_in, nonnegative_int, positive_int

    p = argparse.ArgumentParser(prog="optkit bench pipeline",
                                description="Pure-Python reference vs NumPy/OpenCV pipeline.")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.add_argument("--width", type=positive_int, default=1600)
    p.add_argument("--height", type=positive_int, default=1200)
    p.add_argument("--boxes", type=positive_int, default=300)
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.add_argument("--repeat", type=int_in(1, 1000), default=3, help="timed repeats per variant (default 3)")
    p.add_argument("--stages", default=",".join(STAGES),
                   help=f"comma-separated subset of {','.join(STAGES)} (default: all)")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        p.print_usage(sys.stderr)
        print(f"optkit bench pipeline: error: argument --stages: unknown stage(s) {unknown or args.stages!r}; "
              f"choose from {','.join(STAGES)}", file=sys.stderr)
        return 2
    try:
        doc = (default_document() if (args.width, args.height, args.boxes, args.seed) == (1600, 1200, 300, 0)
               else make_document(args.width, args.height, args.boxes, args.seed))
    except ValueError as exc:
        p.print_usage(sys.stderr)
        print(f"optkit bench pipeline: error: {exc}", file=sys.stderr)
        return 2
    scene = simulate(doc)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    log(f"document {doc.size[0]}x{doc.size[1]}, {doc.n_boxes} words, "
        f"{scene.n_candidates} NMS candidates")
    inputs = stage_inputs(scene)
    per_stage = {}
    for name in stages:
        log(f"  timing stage {name} ...")
        c = bench.compare({"reference": REFERENCE[name], "fast": FAST[name]}, *inputs[name],
                          repeat=args.repeat, min_time=0.05, rtol=0, atol=0)
        per_stage[name] = c
    log("  timing end to end ...")
    e2e = bench.compare({"reference": run_reference, "fast": run_fast}, scene,
                        check=lambda a, b: assert_same_result(a, b) or True,
                        repeat=args.repeat, min_time=0.05)

    def row(c):
        ref, fast = c["reference"], c["fast"]
        return {"reference_s": ref.median_s, "fast_s": fast.median_s,
                "reference_iqr_s": ref.iqr_s, "fast_iqr_s": fast.iqr_s,
                "ratio": c.speedup("fast"), "outputs_equal": True}

    out = {
        "document": {"width": doc.size[0], "height": doc.size[1], "boxes": doc.n_boxes,
                     "seed": doc.seed, "candidates": scene.n_candidates},
        "stages": {name: row(c) for name, c in per_stage.items()},
        "end_to_end": row(e2e),
        "context": e2e.context,
    }
    if args.json:
        print(json.dumps(out, indent=1, default=str))
        return 0
    print(f"\n{'stage':<12}{'reference':>12}{'NumPy/OpenCV':>14}{'ratio':>10}")
    for name, r in list(out["stages"].items()) + [("END TO END", out["end_to_end"])]:
        print(f"{name:<12}{bench.format_time(r['reference_s']):>12}"
              f"{bench.format_time(r['fast_s']):>14}{r['ratio']:>9.1f}x")
    print("outputs checked equal before timing (median of "
          f"{args.repeat} repeats; {bench._context_line(e2e.context)})")
    return 0
