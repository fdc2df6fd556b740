"""The OCR case study: the CPU side of a two-model text pipeline, slow and fast.

A page goes through these CPU stages (the models themselves are simulated, see below):

    image --grayscale--> gray --contrast--> norm --binarize--> binary      (pre-processing)
    detector candidates --nms--> kept boxes --order--> clockwise quads    (detector post-proc.)
    image + quads --crop--> (K, 32, 128, 3) uint8 --batch--> (K, 3, 32, 128) float32
    recogniser logits (K, T, C) --ctc--> strings                           (recogniser post-proc.)

For every stage there is a ``*_reference`` function, written the way a capable beginner
writes it (Python loops over pixels, boxes or time steps, NumPy used one element at a time),
and the fastest NumPy/OpenCV version (``*_fast``); the steps between, as notebook 02 builds
them, are in its room ``optkit.lessons.numpy_opencv``. All versions of a
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

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from .data import ALPHABET, Document
from .scene import BLANK, CROP_H, REC_W, Scene, default_scene, simulate

__all__ = [
    "Scene", "Result", "simulate", "default_scene",
    "CROP_H", "REC_W", "MEAN", "STD", "BLANK", "THRESHOLD", "IOU_THRESHOLD", "SCORE_THRESHOLD",
    "grayscale_reference", "grayscale_fast", "contrast_reference", "contrast_table", "contrast_fast",
    "binarize_reference", "binarize_fast", "nms_reference", "nms_fast", "order_reference", "order_fast",
    "quad_corners", "warp_quad", "crop_reference", "resize_pad_reference", "crop_pad_reference", "crop_widths", "crop_fast",
    "batch_reference", "batch_tables", "batch_fast", "recognise", "ctc_reference", "ctc_fast",
    "REFERENCE", "FAST", "STAGES", "run", "run_timed", "run_reference", "run_fast",
    "assert_same_result", "same_result", "stage_inputs",
]

# --------------------------------------------------------------------------- constants
MEAN = (0.406, 0.456, 0.485)    # per channel, B, G, R (ImageNet's values, in BGR order)
STD = (0.225, 0.224, 0.229)
THRESHOLD = 0x80                # binarisation: ink where the normalised value < 128
LOW_PCT, HIGH_PCT = 1, 99       # contrast stretch between these histogram percentiles
IOU_THRESHOLD = 0.5
SCORE_THRESHOLD = 0.3
GRAY_WEIGHTS = (3735, 19235, 9798)   # B, G, R weights in units of 1/32768 (sum 32768)


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


def grayscale_fast(image):
    """The same job in one OpenCV call."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


# =========================================================================== stage 2: contrast
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


def contrast_table(hist, n, low=LOW_PCT, high=HIGH_PCT):
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


def contrast_fast(gray, low=LOW_PCT, high=HIGH_PCT):
    """OpenCV for both halves: cv2.calcHist for the histogram, cv2.LUT for the lookup."""
    hist = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    table = contrast_table(hist, gray.size, low, high)
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
def quad_corners(width, height):
    """Destination corners TL, TR, BR, BL of an upright width x height patch, as
    cv2.getPerspectiveTransform wants them (float32)."""
    return np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)


def warp_quad(image, quad, width, height, out=None, corners=None, border=cv2.BORDER_REPLICATE):
    """The course's one perspective crop: the quad (TL, TR, BR, BL) warped to an upright
    width x height patch, bilinear (two OpenCV calls: getPerspectiveTransform, warpPerspective).
    ``out``: write into this (height, width, C) uint8 view; ``corners``: precomputed
    :func:`quad_corners` (width, height); ``border``: how pixels outside the image are filled."""
    m = cv2.getPerspectiveTransform(np.asarray(quad, np.float32),
                                    quad_corners(width, height) if corners is None else corners)
    return cv2.warpPerspective(image, m, (int(width), int(height)), dst=out, flags=cv2.INTER_LINEAR,
                               borderMode=border)


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
        patches.append(warp_quad(image, quad, w, height))
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


def crop_widths(quads, height):
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
    widths = crop_widths(quads, height).tolist()
    dsts = {}
    for i in range(k):
        w = widths[i]
        dst = dsts.get(w)
        if dst is None:
            dst = dsts[w] = quad_corners(w, height)
        if w <= width:
            warp_quad(image, quads[i], w, height, out=out[i, :, :w], corners=dst)
        else:
            patch = warp_quad(image, quads[i], w, height, corners=dst)
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


@functools.lru_cache(maxsize=8)
def _batch_tables(mean, std):
    v = np.arange(256, dtype=np.float64)
    return np.stack([((v / 255.0 - m) / s).astype(np.float32) for m, s in zip(mean, std)])


def batch_tables(mean=MEAN, std=STD):
    """The 256 float32 results of the batch formula per channel, (C, 256): uint8 has only 256
    values, so a lookup gives exactly the reference's numbers (computed once per mean/std)."""
    return _batch_tables(tuple(mean), tuple(std))


def batch_fast(crops, mean=MEAN, std=STD):
    """The same lookup done by cv2.LUT (a 3-channel float32 table), then one NCHW copy."""
    k, h, w, c = crops.shape
    if k == 0:
        return np.zeros((0, c, h, w), np.float32)
    lut = np.ascontiguousarray(batch_tables(mean, std).T).reshape(1, 256, c)
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
