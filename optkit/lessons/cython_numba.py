"""Reference kernels for notebook 03 (Cython and Numba): where pure Python dominates, and
where it does not.

The pure-Python kernel is the **run-length smoothing algorithm** (RLSA, Wong, Casey and
Wahl, 1982), a classic step of document layout analysis: on the binarised page, every gap
of paper between two ink pixels of the same row that is at most ``gap`` pixels long is
filled with ink. Letters merge into words and words into text lines, which a later step
cuts into blocks. Each row is a left-to-right scan whose action depends on where the last
ink pixel was, so NumPy has no single call for it; every row is independent of the others,
so it parallelises cleanly over rows.

Functions here are the references the notebook's compiled versions are checked against
(exactly, bit for bit), plus the counter-example (a stage whose time is spent inside
OpenCV calls) and small helpers the notebook calls:

* :func:`page_mask` -- a binarised page from :mod:`optkit.data` (ink = 1, paper = 0);
* :func:`synthetic_mask` -- a quick random text-like mask (tests, exercises);
* :func:`rlsa_python` -- the horizontal RLSA as a beginner writes it (reference);
* :func:`rlsa_numpy` -- the same result with whole-array NumPy (a trick, several passes);
* :func:`rlsa_vertical_python`, :func:`runs_per_row_python`,
  :func:`run_length_histogram_python` -- references of the exercises;
* :func:`row_sums_python`, :func:`nan_row_sums_python` -- float reductions for the
  ``fastmath`` lesson;
* :func:`crop_opencv` -- the counter-example: per-box OpenCV warps in a Python loop;
* :func:`typed_cython_rule` -- exercise 1's rule, read off the Cython source of the answer;
* :func:`thread_env_probe` -- what thread counts a fresh process sees under given
  environment variables (they only apply before the thread pools start).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import cv2
import numpy as np

from optkit.i18n import tr
from optkit.pipeline import quad_corners

__all__ = [
    "page_mask", "binarize", "synthetic_mask", "as_mask",
    "rlsa_python", "rlsa_numpy", "rlsa_vertical_python", "rlsa_vertical_numpy",
    "runs_per_row_python", "run_length_histogram_python",
    "row_sums_python", "nan_row_sums_python",
    "CROP_H", "CROP_W", "crop_opencv", "crop_python_loop_share", "check_gap", "check_crop_args",
    "thread_env_probe", "typed_cython_rule",
]

CROP_H = 32      # recogniser input height (as in optkit.pipeline)
CROP_W = 128     # recogniser input width


# =========================================================================== inputs
def as_mask(mask, name="mask") -> np.ndarray:
    """Validate a binary mask: 2-D, uint8, C-contiguous, values 0/1. Returns it unchanged."""
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(mask).__name__}")
    if mask.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows x columns), got shape {mask.shape}")
    if mask.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8 (0 = paper, 1 = ink), got {mask.dtype}")
    if not mask.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use np.ascontiguousarray)")
    return mask


def check_gap(gap) -> int:
    if isinstance(gap, bool) or not isinstance(gap, (int, np.integer)):
        raise TypeError(f"gap must be an integer number of pixels, got {gap!r}")
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    return int(gap)


def binarize(image) -> np.ndarray:
    """BGR (or gray) uint8 page -> uint8 mask, 1 = ink (dark), 0 = paper (Otsu threshold)."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"binarize needs a uint8 gray or BGR image, got {image.dtype} {image.shape}")
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    _, mask = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return np.ascontiguousarray(mask)


_PAGE_CACHE: dict = {}


def page_mask(width=1600, height=1200, n_boxes=300, seed=0) -> np.ndarray:
    """The binarised page of ``optkit.data.make_document(width, height, n_boxes, seed)``
    (cached in memory; a fresh copy is returned each time)."""
    key = (width, height, n_boxes, seed)
    if key not in _PAGE_CACHE:
        from optkit.data import make_document

        _PAGE_CACHE[key] = binarize(make_document(width, height, n_boxes, seed).image)
    return _PAGE_CACHE[key].copy()


def synthetic_mask(height=240, width=320, seed=0, density=0.35) -> np.ndarray:
    """A quick text-like binary mask (horizontal strokes of random lengths on text lines)."""
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be >= 1, got {height} x {width}")
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.uint8)
    line = np.zeros(height, bool)
    y = 2
    while y < height:                      # text lines of 6..14 rows separated by 3..12 rows
        h = int(rng.integers(6, 15))
        line[y:y + h] = True
        y += h + int(rng.integers(3, 13))
    rows = np.flatnonzero(line)
    noise = rng.random((rows.size, width)) < density
    mask[rows] = noise
    mask[rng.random((height, width)) < 0.01] = 1   # specks off the lines
    return mask


# =========================================================================== the kernel: RLSA
def rlsa_python(mask, gap):
    """Horizontal run-length smoothing, as a beginner writes it (the reference).

    In every row, a run of paper (0) of length <= ``gap`` between two ink pixels (1) becomes
    ink. Runs touching the row's ends stay paper. Returns a new uint8 mask."""
    as_mask(mask)
    gap = check_gap(gap)
    h, w = mask.shape
    out = mask.copy()
    for y in range(h):
        last = -1                       # column of the last ink pixel seen in this row
        for x in range(w):
            if mask[y, x]:
                if last >= 0 and x - last - 1 <= gap:
                    for k in range(last + 1, x):
                        out[y, k] = 1
                last = x
    return out


def rlsa_numpy(mask, gap):
    """The same smoothing with whole-array NumPy: for every pixel, the column of the last ink
    pixel at or before it and of the next one at or after it (running max/min), then fill
    the paper pixels whose gap is short enough. Several full passes and temporaries."""
    as_mask(mask)
    gap = check_gap(gap)
    h, w = mask.shape
    ink = mask.astype(bool)
    cols = np.arange(w)
    last = np.maximum.accumulate(np.where(ink, cols, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(ink, cols, w)[:, ::-1], axis=1)[:, ::-1]
    fill = (last >= 0) & (nxt < w) & (nxt - last - 1 <= gap)
    return (ink | fill).astype(np.uint8)


def rlsa_vertical_python(mask, gap):
    """Vertical smoothing (the same rule along every column): reference of exercise 3."""
    as_mask(mask)
    gap = check_gap(gap)
    h, w = mask.shape
    out = mask.copy()
    for x in range(w):
        last = -1
        for y in range(h):
            if mask[y, x]:
                if last >= 0 and y - last - 1 <= gap:
                    for k in range(last + 1, y):
                        out[k, x] = 1
                last = y
    return out


def rlsa_vertical_numpy(mask, gap):
    """Vertical smoothing through the horizontal NumPy version on the transposed mask."""
    as_mask(mask)
    return np.ascontiguousarray(rlsa_numpy(np.ascontiguousarray(mask.T), gap).T)


def runs_per_row_python(mask):
    """Number of ink runs (maximal horizontal segments of 1s) in every row: int32 (h,).
    Text lines show up as rows with many runs (reference of exercise 1)."""
    as_mask(mask)
    h, w = mask.shape
    counts = np.zeros(h, np.int32)
    for y in range(h):
        n = 0
        prev = 0
        for x in range(w):
            v = mask[y, x]
            if v and not prev:
                n += 1
            prev = v
        counts[y] = n
    return counts


def run_length_histogram_python(mask, max_len=64):
    """Histogram of the lengths of horizontal ink runs: int64 (max_len + 1,); runs longer than
    ``max_len`` are counted in the last bin. Stroke widths and letter sizes show up as
    peaks (reference of exercise 2)."""
    as_mask(mask)
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be an integer >= 1, got {max_len!r}")
    h, w = mask.shape
    hist = np.zeros(max_len + 1, np.int64)
    for y in range(h):
        run = 0
        for x in range(w):
            if mask[y, x]:
                run += 1
            elif run:
                hist[min(run, max_len)] += 1
                run = 0
        if run:
            hist[min(run, max_len)] += 1
    return hist


# =========================================================================== fastmath lesson
def row_sums_python(values):
    """Sum of every row of a float32 2-D array, accumulated in float32 from left to right."""
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype != np.float32:
        raise ValueError(f"row_sums needs a 2-D float32 array, got {values.dtype} {values.shape}")
    out = np.zeros(values.shape[0], np.float32)
    for y in range(values.shape[0]):
        s = np.float32(0.0)
        for v in values[y]:
            s += v
        out[y] = s
    return out


def nan_row_sums_python(values):
    """Like :func:`row_sums_python` but skipping NaN entries (missing pixels)."""
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype != np.float32:
        raise ValueError(f"nan_row_sums needs a 2-D float32 array, got {values.dtype} {values.shape}")
    out = np.zeros(values.shape[0], np.float32)
    for y in range(values.shape[0]):
        s = np.float32(0.0)
        for v in values[y]:
            if not np.isnan(v):
                s += v
        out[y] = s
    return out


# =========================================================================== counter-example
def check_crop_args(image, quads):
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be a uint8 H x W x 3 array, got {image.dtype} {image.shape}")
    quads = np.asarray(quads, np.float32)
    if quads.ndim != 3 or quads.shape[1:] != (4, 2):
        raise ValueError(f"quads must have shape (N, 4, 2), got {quads.shape}")
    return image, np.ascontiguousarray(quads)


def crop_opencv(image, quads, height=CROP_H, width=CROP_W):
    """The counter-example: warp every quad to an upright ``height x width`` patch.

    A Python loop over the boxes, but each iteration is two OpenCV calls that do all the work
    (those of ``optkit.pipeline.warp_quad``, written out here so that the compiled versions,
    which make the same two calls, differ from this one only by being compiled). Returns uint8
    (N, height, width, 3)."""
    image, quads = check_crop_args(image, quads)
    n = len(quads)
    out = np.empty((n, height, width, 3), np.uint8)
    dst = quad_corners(width, height)
    for i in range(n):
        m = cv2.getPerspectiveTransform(quads[i], dst)
        cv2.warpPerspective(image, m, (width, height), dst=out[i], flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    return out


def crop_python_loop_share(image, quads, height=CROP_H, width=CROP_W, repeat=5, crop=None) -> dict:
    """Where the counter-example's time goes: the whole stage (``crop``, :func:`crop_opencv` by
    default: the notebook passes the copy its cell defines) vs the bare loop (the same loop and
    indexing with the OpenCV calls replaced by nothing). ``share_outside_loop`` is everything
    the bare loop does not account for: the OpenCV calls together with the Python that passes
    their arguments (building them, the bindings parsing them). Returns {"total_s",
    "loop_only_s", "share_outside_loop"}."""
    import time

    image, quads = check_crop_args(image, quads)
    n = len(quads)
    out = np.empty((n, height, width, 3), np.uint8)

    def loop_only():      # the same loop and indexing, without the OpenCV calls
        for i in range(n):
            quads[i], out[i]
        return None

    def best(f):
        t = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            f()
            t.append(time.perf_counter() - t0)
        return min(t)

    crop = crop_opencv if crop is None else crop
    total = best(lambda: crop(image, quads, height, width))
    loop = best(loop_only)
    return {"total_s": total, "loop_only_s": loop,
            "share_outside_loop": max(0.0, 1.0 - loop / total) if total > 0 else float("nan")}


# =========================================================================== thread settings
_PROBE = r"""
import json, os, sys, importlib.util
res = {}
mod = None
path = os.environ.get("_OPTKIT_OMP_MODULE")
if path:
    name = os.path.basename(path).split(".")[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res["OpenMP threads, before Numba starts"] = int(mod.omp_threads())
import numba
res["Numba pool size"] = numba.config.NUMBA_NUM_THREADS
res["numba.get_num_threads()"] = numba.get_num_threads()      # starts Numba's pool
try:
    res["Numba threading layer"] = numba.threading_layer()
except ValueError:
    res["Numba threading layer"] = "?"
if mod is not None:
    res["OpenMP threads, after Numba started"] = int(mod.omp_threads())
print(json.dumps(res))
"""


def cython_source(fn) -> str | None:
    """The Cython source of the module that ``fn`` was compiled in: the ``%%cython`` magic keeps
    it beside the compiled module in its cache folder (``_cython_magic_<hash>.pyx`` next to
    ``_cython_magic_<hash>.cpython-....so``). None when there is none to read."""
    mod = sys.modules.get(getattr(fn, "__module__", None) or "")
    path = getattr(mod, "__file__", None)
    if not isinstance(path, str):
        return None
    pyx = os.path.join(os.path.dirname(path), os.path.basename(path).split(".")[0] + ".pyx")
    try:
        with open(pyx, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


_STRING_OR_COMMENT = re.compile(r'(?s)""".*?"""|' r"'''.*?'''|" r'"(?:\\.|[^"\\\n])*"|' r"'(?:\\.|[^'\\\n])*'|#[^\n]*")
_FUNC = re.compile(r"^(?:cpdef|cdef|def)\b[^(=:]*?\b(\w+)\s*\(")


def _brackets(line) -> int:
    """How many brackets the line opens, less those it closes (strings and comments blanked)."""
    return sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")


def typed_cython_rule(fn, args=None):
    """Exercise 1's rule (``Exercise(rules=[...])``): the Cython source of ``fn``'s module
    (:func:`cython_source`), read in ``fn``'s own function and the module's functions it names,
    must have typed code (a ``cdef`` declaration, or a typed memoryview ``[:, ...]`` in a
    signature) and a ``for`` or ``while`` loop: a NumPy expression typed into the Cython cell
    is refused. Says nothing (None) when the source cannot be found or ``fn`` is not in it."""
    text = cython_source(fn)
    name = getattr(fn, "__name__", None)
    if text is None or not name:
        return None
    code = _STRING_OR_COMMENT.sub(lambda m: "" if m.group(0).startswith("#") else '""', text)
    blocks, current, pending, depth = {}, None, [], 0   # pending: decorator lines for the next def
    signature = 0                   # brackets a def's signature leaves open (lines at column 0 too)
    for line in code.splitlines():
        if signature > 0 and current is not None:
            blocks[current].append(line)
            signature = max(0, signature + _brackets(line))
            continue
        if line.strip() and not line[0].isspace():
            m = _FUNC.match(line)
            if m:
                current = m.group(1)
                blocks[current], pending, depth = pending + [line], [], 0   # (a later def of it wins)
                signature = max(0, _brackets(line))
                continue
            if line.startswith("@") or (pending and (line.startswith(")") or depth > 0)):
                current = None
                pending.append(line)
                depth = max(0, depth + _brackets(line))     # brackets left open by the decorator
                continue
            pending, depth = [], 0      # decorators of a class or of something else: not a def's
            current = current if line.startswith(")") else None    # a signature's closing line
        elif pending and line.strip():
            pending.append(line)        # a decorator's continuation line
            depth = max(0, depth + _brackets(line))
            continue
        if current is not None and current in blocks:
            blocks[current].append(line)
    if name not in blocks:
        return None
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        body = "\n".join(blocks[n])
        todo += [o for o in blocks if o not in seen and re.search(rf"\b{o}\b", body)]
    used = "\n".join("\n".join(blocks[n]) for n in seen)
    heads = [re.sub(r"\s+", " ", "\n".join(blocks[n]).split("):")[0]) for n in seen]
    if not re.search(r"^\s*(?:for|while)\b", used, re.M):
        return tr("`{name}` has no `for` or `while` loop in its Cython source: a NumPy expression "
                  "typed into the Cython cell runs NumPy's code, not a loop of yours; the task is "
                  "the reference's loop, typed so that Cython turns it into C", name=name)
    if not (re.search(r"\bcdef\b|\bcython\.(?:declare|locals)\b|:\s*cython\.\w+", used)
            or any(re.search(r"\[\s*:|\bndarray\s*\[", h) for h in heads)):   # memoryview, buffer
        return tr("`{name}` has no C types in its Cython source (no `cdef` declaration, no typed "
                  "memoryview argument), so every line still works on Python objects: type the mask "
                  "as a memoryview (`cdef const unsigned char[:, ::1] m = mask`) and the counters "
                  "as C integers (`cdef int n`)", name=name)
    return None


def thread_env_probe(env: dict | None = None, cython_module_file: str | None = None,
                     timeout=60) -> dict:
    """Start a fresh Python with ``env`` added to the environment and report the thread
    counts it sees: Numba's pool size, thread count and threading layer, and (if
    ``cython_module_file`` is the path of a compiled module with an ``omp_threads()``
    function) OpenMP's, before and after Numba starts its pool (with Numba's "omp"
    threading layer both share one OpenMP runtime, and starting Numba's pool sets
    OpenMP's thread count to Numba's).

    Thread-count variables are read once, when a pool starts; that is why this runs in a
    new process instead of changing ``os.environ`` in the notebook's kernel."""
    full = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER"):
        full.pop(k, None)
    for k, v in (env or {}).items():
        full[str(k)] = str(v)
    if cython_module_file:
        full["_OPTKIT_OMP_MODULE"] = str(cython_module_file)
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=full, capture_output=True,
                          text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"thread probe failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
