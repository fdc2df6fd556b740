"""Deterministic synthetic data for the course: document images with word boxes, and a CSV.

Nothing is downloaded. Every function is deterministic for its arguments (NumPy's PCG64
generator, ``np.random.default_rng(seed)``), so a learner, the tests and the instructor all
get the same words and boxes; the pixels agree up to rounding between OpenCV builds and CPUs.

    make_document(width=1600, height=1200, n_boxes=300, seed=0) -> Document
    default_document() -> Document          # 1600x1200, 300 boxes, seed 0 (cached in memory)
    load_sample(name) -> Document           # small committed samples in data/
    make_csv(path=None, n_rows=1_000_000, seed=0) -> pathlib.Path

How a page is made (``make_document``):

1. Random words (letters, sometimes digits) are laid out in lines with OpenCV's Hershey fonts,
   at the largest font size for which all ``n_boxes`` words fit inside the margins.
2. The text is drawn as an ink mask on a flat page; the mask is warped by one small random
   homography (a slight rotation plus perspective, like a photographed sheet); every word's
   box is mapped through the same homography, so ``quads`` match the pixels.
3. The ink is laid onto an uneven paper tone, lightly blurred, and sensor noise is added.

Quads are float32 arrays of shape (N, 4, 2): the corners top-left, top-right, bottom-right,
bottom-left (clockwise on screen, y pointing down), in pixel coordinates (x, y), every corner
inside ``[0, width - 1] x [0, height - 1]``.
"""
from __future__ import annotations

import functools
import json
import os
import string
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .files import private_folder, read_json, regular_file_digest, sha256_hex, trusted, write_atomic

__all__ = [
    "ALPHABET", "Document", "make_document", "default_document", "make_csv", "load_sample",
    "sample_names", "save_sample", "cache_dir", "MIN_SIZE", "MAX_SIZE", "MIN_BOXES", "MAX_BOXES",
]

#: Characters that words are made of (the simulated recogniser's classes, after the blank).
ALPHABET = string.digits + string.ascii_lowercase + string.ascii_uppercase

MIN_SIZE = (640, 480)
MAX_SIZE = (4000, 3000)
MIN_BOXES = 10
MAX_BOXES = 2000

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
#: Bump when the generators change, so cached files from an older version are not reused.
GENERATOR_VERSION = 1

_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX)
_MIN_SCALE = 0.35
_SCALE_STEP = 0.05
_PAD = 2.0                 # pixels of padding around each word's glyph box


@dataclass
class Document:
    """A synthetic page and its ground truth.

    image: (H, W, 3) uint8, BGR.   quads: (N, 4, 2) float32, TL, TR, BR, BL, pixel (x, y).
    texts: one string per quad.     seed: the generator seed.   size: (width, height).
    """

    image: np.ndarray
    quads: np.ndarray
    texts: list
    seed: int
    size: tuple

    @property
    def n_boxes(self) -> int:
        return len(self.texts)

    def copy(self) -> "Document":
        return Document(self.image.copy(), self.quads.copy(), list(self.texts), self.seed,
                        tuple(self.size))

    def __repr__(self) -> str:
        w, h = self.size
        return f"Document({w}x{h}, {self.n_boxes} boxes, seed={self.seed})"


# --------------------------------------------------------------------------- validation
def _as_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _check_args(width, height, n_boxes, seed):
    width = _as_int("width", width)
    height = _as_int("height", height)
    n_boxes = _as_int("n_boxes", n_boxes)
    seed = _as_int("seed", seed)
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got width={width}, height={height}")
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise ValueError(
            f"image size {width}x{height} is out of range: width must be in "
            f"{MIN_SIZE[0]}..{MAX_SIZE[0]} and height in {MIN_SIZE[1]}..{MAX_SIZE[1]}")
    if n_boxes <= 0:
        raise ValueError(f"n_boxes must be positive, got {n_boxes}")
    if not MIN_BOXES <= n_boxes <= MAX_BOXES:
        raise ValueError(f"n_boxes={n_boxes} is out of range {MIN_BOXES}..{MAX_BOXES}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return width, height, n_boxes, seed


# --------------------------------------------------------------------------- words and layout
def _random_words(rng: np.random.Generator, n: int) -> list[str]:
    lengths = np.clip(np.round(rng.normal(5.0, 2.0, n)), 1, 10).astype(int)
    kind = rng.random(n)                       # < 0.15: number, < 0.30: Capitalised, else lower
    lower = np.frombuffer(string.ascii_lowercase.encode(), np.uint8)
    digits = np.frombuffer(string.digits.encode(), np.uint8)
    letters = rng.choice(lower, size=(n, 10))
    numbers = rng.choice(digits, size=(n, 10))
    words = []
    for i in range(n):
        k = lengths[i]
        if kind[i] < 0.15:
            w = numbers[i, :k].tobytes().decode()
        else:
            w = letters[i, :k].tobytes().decode()
            if kind[i] < 0.30:
                w = w.capitalize()
        words.append(w)
    return words


def _layout(widths, gaps, line_fracs, line_h, ascent, box_w, box_h, margins):
    """Place words left to right in lines. Returns (x, baseline_y) per word placed, stopping
    at the first word that does not fit (so len(result) < len(widths) means "does not fit")."""
    mx, my = margins
    right = box_w - mx
    bottom = box_h - my
    avail = right - mx
    pos = []
    line = 0
    x = mx
    y = my + ascent
    limit = mx + avail * line_fracs[0]
    for i, w in enumerate(widths):
        if w > avail:
            break
        if x > mx and x + w > limit:          # start a new line
            line += 1
            x = mx
            y += line_h
            limit = mx + avail * line_fracs[line % len(line_fracs)]
        if y + (line_h - ascent) > bottom:
            break
        pos.append((x, y))
        x += w + gaps[i]
    return pos


def _fit_text(words, rng, width, height):
    """Choose font, scale and positions: the largest scale at which every word fits."""
    n = len(words)
    font = _FONTS[int(rng.integers(len(_FONTS)))]
    gap_factor = rng.uniform(0.6, 1.4, n)
    line_fracs = np.where(rng.random(n + 1) < 0.8, 1.0, rng.uniform(0.35, 0.9, n + 1))
    margins = (0.06 * width, 0.07 * height)
    # Largest text height we allow: about one twentieth of the page.
    ref_h = cv2.getTextSize("Hg", font, 1.0, 1)[0][1]
    max_scale = max(_MIN_SCALE, np.floor((height / 20.0) / ref_h / _SCALE_STEP) * _SCALE_STEP)
    scales = np.round(np.arange(max_scale, _MIN_SCALE - 1e-9, -_SCALE_STEP), 2)
    best_count = 0
    for scale in scales:
        thick = max(1, int(round(scale * 1.4)))
        (_, asc), desc = cv2.getTextSize("Hgjpq|", font, float(scale), thick)
        widths = np.array([cv2.getTextSize(w, font, float(scale), thick)[0][0] for w in words],
                          float)
        space = cv2.getTextSize("n", font, float(scale), thick)[0][0]
        gaps = space * gap_factor + 2 * _PAD
        line_h = (asc + desc) * 1.55 + 2 * _PAD
        pos = _layout(widths, gaps, line_fracs, line_h, asc + _PAD, width, height, margins)
        best_count = max(best_count, len(pos))
        if len(pos) == n:
            return dict(font=font, scale=float(scale), thick=thick, ascent=asc, descent=desc,
                        widths=widths, pos=np.array(pos, float))
    raise ValueError(
        f"{n} words do not fit on a {width}x{height} page even at the smallest font size "
        f"(about {best_count} fit); use a larger page or fewer boxes")


def _page_homography(rng, width, height):
    """A slight rotation about the centre plus a little perspective (jittered corners)."""
    angle = np.deg2rad(rng.uniform(-2.5, 2.5))
    scale = rng.uniform(0.97, 1.0)
    jitter = rng.uniform(-0.012, 0.012, (4, 2)) * (width, height)
    c = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    src = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (src - c) @ rot.T * scale + c + jitter
    return cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32)).astype(float)


def _fit_inside(H, quads, width, height):
    """Shrink the page about its centre until every transformed corner lies inside the image."""
    c = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
    for _ in range(20):
        q = cv2.perspectiveTransform(quads.reshape(-1, 1, 2).astype(np.float64), H).reshape(-1, 2)
        lo = q.min(axis=0)
        hi = q.max(axis=0)
        if lo[0] >= 0.5 and lo[1] >= 0.5 and hi[0] <= width - 1.5 and hi[1] <= height - 1.5:
            return H, q.reshape(-1, 4, 2)
        need = max((c[0] - 0.5) / max(c[0] - lo[0], 1e-9), (width - 1.5 - c[0]) / max(hi[0] - c[0], 1e-9),
                   (c[1] - 0.5) / max(c[1] - lo[1], 1e-9), (height - 1.5 - c[1]) / max(hi[1] - c[1], 1e-9))
        s = min(need, 1.0) * 0.995
        S = np.array([[s, 0, c[0] * (1 - s)], [0, s, c[1] * (1 - s)], [0, 0, 1.0]])
        H = S @ H
    raise RuntimeError("could not fit the page inside the image")  # pragma: no cover


def _paper(rng, width, height):
    """Uneven paper tone: a coarse random grid blown up smoothly, with a warm tint (BGR)."""
    coarse = rng.uniform(-1.0, 1.0, (5, 7)).astype(np.float32)
    tone = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    base = rng.uniform(228.0, 242.0)
    tint = np.array([-10.0, -3.0, 0.0], np.float32) * rng.uniform(0.5, 1.5)   # B, G, R
    paper = base + 7.0 * tone[..., None] + tint
    return paper.astype(np.float32)


# --------------------------------------------------------------------------- documents
def make_document(width: int = 1600, height: int = 1200, n_boxes: int = 300, seed: int = 0) -> Document:
    """A synthetic photographed page of ``n_boxes`` words and the quad of every word.

    Deterministic for its arguments. Raises ValueError for sizes outside 640x480..4000x3000,
    box counts outside 10..2000, a negative seed, or more words than fit on the page.
    """
    width, height, n_boxes, seed = _check_args(width, height, n_boxes, seed)
    rng = np.random.default_rng(seed)
    words = _random_words(rng, n_boxes)
    lay = _fit_text(words, rng, width, height)
    font, scale, thick = lay["font"], lay["scale"], lay["thick"]
    asc, desc = lay["ascent"], lay["descent"]

    # Ink mask, drawn upright on a flat page.
    ink = np.zeros((height, width), np.uint8)
    quads = np.empty((n_boxes, 4, 2), np.float64)
    for i, (word, (x, y)) in enumerate(zip(words, lay["pos"])):
        ox, oy = int(round(x + _PAD)), int(round(y))
        cv2.putText(ink, word, (ox, oy), font, scale, 255, thick, cv2.LINE_AA)
        x0, x1 = ox - _PAD, ox + lay["widths"][i] + _PAD
        y0, y1 = oy - asc - _PAD, oy + desc + _PAD
        quads[i] = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    # One page transform for the ink and the boxes.
    H, quads = _fit_inside(_page_homography(rng, width, height), quads, width, height)
    ink = cv2.warpPerspective(ink, H, (width, height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    paper = _paper(rng, width, height)
    ink_color = np.array(rng.uniform(25.0, 60.0, 3), np.float32) + np.float32([12, 0, 0])
    opacity = np.float32(rng.uniform(0.85, 0.95))
    alpha = ink.astype(np.float32) * (opacity / np.float32(255.0))
    alpha = alpha[..., None]
    img = paper * (np.float32(1.0) - alpha) + ink_color * alpha
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    sigma = np.float32(rng.uniform(2.5, 4.5))
    img += rng.standard_normal((height, width, 1), dtype=np.float32) * sigma      # luminance
    img += rng.standard_normal((height, width, 3), dtype=np.float32) * (sigma / 2)  # colour
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return Document(image=image, quads=quads.astype(np.float32), texts=words, seed=seed,
                    size=(width, height))


@functools.lru_cache(maxsize=1)
def _default_document() -> Document:
    return make_document(1600, 1200, 300, 0)


def default_document() -> Document:
    """The course's default page: 1600x1200, 300 words, seed 0. Built once per process;
    each call returns a fresh copy, so changing it in place cannot affect later calls."""
    return _default_document().copy()


# --------------------------------------------------------------------------- committed samples
def sample_names() -> list[str]:
    """Names of the committed samples in data/ (each a PNG plus a JSON file)."""
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))


def save_sample(name: str, width: int, height: int, n_boxes: int, seed: int, folder=None) -> Path:
    """Write ``make_document(width, height, n_boxes, seed)`` as NAME.png + NAME.json (how the
    committed samples in data/ were made; see data/README.md)."""
    folder = Path(folder) if folder is not None else DATA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    doc = make_document(width, height, n_boxes, seed)
    if not cv2.imwrite(str(folder / f"{name}.png"), doc.image):
        raise OSError(f"could not write {folder / name}.png")
    meta = {
        "width": width, "height": height, "n_boxes": n_boxes, "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "made_by": f"optkit.data.save_sample({name!r}, {width}, {height}, {n_boxes}, {seed})",
        "quads": np.round(doc.quads.astype(np.float64), 4).tolist(),
        "texts": doc.texts,
    }
    (folder / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")
    return folder / f"{name}.json"


def load_sample(name: str) -> Document:
    """A committed sample from data/ (``sample_names()`` lists them), e.g. ``load_sample("page_640x480")``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"sample name must be a non-empty string, got {name!r}")
    stem = Path(name).stem if name.endswith((".png", ".json")) else name
    js, png = DATA_DIR / f"{stem}.json", DATA_DIR / f"{stem}.png"
    if not js.exists() or not png.exists():
        raise ValueError(f"no sample named {name!r} in {DATA_DIR}; available: {sample_names()}")
    meta = json.loads(js.read_text())
    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"could not read image {png}")
    quads = np.asarray(meta["quads"], np.float32).reshape(-1, 4, 2)
    return Document(image=image, quads=quads, texts=list(meta["texts"]), seed=int(meta["seed"]),
                    size=(int(meta["width"]), int(meta["height"])))


# --------------------------------------------------------------------------- CSV
def cache_dir() -> Path:
    """Where generated files are cached: $OPTKIT_CACHE, else ~/.cache/optkit (used only when it is
    this user's alone: see :func:`make_csv`)."""
    env = os.environ.get("OPTKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "optkit"


CSV_COLUMNS = ["doc_id", "box_id", "x0", "y0", "x1", "y1", "x2", "y2", "x3", "y3", "score", "text"]
_MAX_ROWS = 50_000_000


def _int_chars(v):
    """Non-negative ints -> (left-aligned ASCII digit matrix, number of digits), vectorised."""
    v = np.asarray(v, np.int64)
    nd = np.ones(v.shape, np.int64)
    width, p = 1, 10
    vmax = int(v.max()) if v.size else 0
    while p <= vmax:
        nd += v >= p
        p *= 10
        width += 1
    k = np.arange(width, dtype=np.int64)
    digits = (v[:, None] // (10 ** k)[None, :]) % 10              # k-th digit from the right
    idx = np.clip(nd[:, None] - 1 - k[None, :], 0, width - 1)
    return np.take_along_axis(digits, idx, axis=1).astype(np.uint8) + ord("0"), nd


def _fixed_chars(x, decimals):
    """Non-negative floats -> fields for "<int>.<exactly `decimals` digits>"."""
    s = np.rint(np.asarray(x, np.float64) * 10 ** decimals).astype(np.int64)
    n = len(s)
    k = np.arange(decimals - 1, -1, -1)
    frac = ((s % 10 ** decimals)[:, None] // (10 ** k)[None, :]) % 10
    return [_int_chars(s // 10 ** decimals),
            (np.full((n, 1), ord("."), np.uint8), np.ones(n, np.int64)),
            (frac.astype(np.uint8) + ord("0"), np.full(n, decimals, np.int64))]


def _join_rows(fields, n) -> bytes:
    """Scatter per-row fields (char matrix, length per row) into one buffer of text lines."""
    lens = np.ones(n, np.int64)                                     # the newline
    for _, length in fields:
        lens += length
    ends = np.cumsum(lens)
    buf = np.empty(int(ends[-1]), np.uint8)
    off = ends - lens
    for chars, length in fields:
        j = np.arange(chars.shape[1])
        m = j[None, :] < length[:, None]
        buf[(off[:, None] + j[None, :])[m]] = chars[m]
        off += length
    buf[ends - 1] = ord("\n")
    return buf.tobytes()


def _csv_bytes(n_rows: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    # Documents of 50..400 boxes each.
    counts = rng.integers(50, 401, n_rows // 50 + 1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    row = np.arange(n_rows)
    doc = np.searchsorted(starts, row, side="right") - 1
    box = row - starts[doc]
    # Slightly rotated word boxes on a 1600x1200 page.
    w = rng.uniform(20, 160, n_rows)
    h = rng.uniform(14, 40, n_rows)
    cx = rng.uniform(100, 1500, n_rows)
    cy = rng.uniform(60, 1140, n_rows)
    a = np.deg2rad(rng.uniform(-3, 3, n_rows))
    ca, sa = np.cos(a)[:, None], np.sin(a)[:, None]
    ux, uy = np.array([-0.5, 0.5, 0.5, -0.5]), np.array([-0.5, -0.5, 0.5, 0.5])
    px = cx[:, None] + ux * w[:, None] * ca - uy * h[:, None] * sa
    py = cy[:, None] + ux * w[:, None] * sa + uy * h[:, None] * ca
    score = rng.uniform(0.3, 1.0, n_rows)
    # Words: random lowercase letters, 1..10 long.
    lengths = rng.integers(1, 11, n_rows)
    letters = rng.integers(ord("a"), ord("z") + 1, (n_rows, 10), dtype=np.uint8)

    comma = (np.full((n_rows, 1), ord(","), np.uint8), np.ones(n_rows, np.int64))
    fields = [_int_chars(doc), comma, _int_chars(box)]
    for j in range(4):
        fields += [comma, *_fixed_chars(px[:, j], 2), comma, *_fixed_chars(py[:, j], 2)]
    fields += [comma, *_fixed_chars(score, 4), comma, (letters, lengths)]
    return (",".join(CSV_COLUMNS) + "\n").encode() + _join_rows(fields, n_rows)


def _cached_csv(root: Path, name: str, n_rows: int, seed: int) -> Path:
    """``root/name``, reused when it and its record ``name.json`` (its size and sha256, written
    after it) are regular files of this user's and the file still has that size and sha256;
    (re)generated otherwise: a file cut short or emptied by a crash, damaged, or not ours."""
    target, record = root / name, root / f"{name}.json"
    meta = read_json(record) if trusted(record) else None
    if meta and meta.get("made_by") == _made_by(n_rows, seed) and isinstance(meta.get("bytes"), int):
        if regular_file_digest(target, limit=meta["bytes"]) == (meta["bytes"], meta.get("sha256")):
            return target
    data = _csv_bytes(n_rows, seed)
    write_atomic(target, data, fsync=True)
    write_atomic(record, json.dumps({"bytes": len(data), "sha256": sha256_hex(data),
                                     "made_by": _made_by(n_rows, seed)}) + "\n", fsync=True)
    return target


def _made_by(n_rows: int, seed: int) -> str:
    return f"optkit.data.make_csv(n_rows={n_rows}, seed={seed}), generator v{GENERATOR_VERSION}"


def make_csv(path=None, n_rows: int = 1_000_000, seed: int = 0) -> Path:
    """A deterministic CSV of word boxes for the preprocessing lessons; returns its path.

    Columns: doc_id, box_id (int), x0, y0, x1, y1, x2, y2, x3, y3 (2 decimals), score
    (4 decimals), text. With a path, that file is (re)written. With ``path=None`` the file lives
    in ``cache_dir()`` under a name made of the arguments, beside a record of its size and sha256
    (``NAME.csv.json``, written after it), and is reused only when it is still exactly that: a
    regular file (not a link or a FIFO) owned by this user and not writable by group or others,
    with that size and sha256 (hashing the 80 MB of notebook 06's million rows takes a fraction of
    a second, generating them a few seconds); anything else (a file cut short by a crash, emptied,
    changed) is generated again. A cache folder someone else owns or may write (a shared
    ``OPTKIT_CACHE``) is not used at all: the file is generated into a private temporary folder
    instead, once per process, removed when the process ends. Files are written atomically
    (temporary file, flushed to disk, then rename).
    """
    n_rows = _as_int("n_rows", n_rows)
    seed = _as_int("seed", seed)
    if n_rows <= 0:
        raise ValueError(f"n_rows must be positive, got {n_rows}")
    if n_rows > _MAX_ROWS:
        raise ValueError(f"n_rows={n_rows} is more than the supported {_MAX_ROWS}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if path is None:
        root = cache_dir()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not trusted(root.resolve()):      # others may have put files there: not ours to reuse
            root = private_folder("optkit-data-", remove_at_exit=True)
        return _cached_csv(root, f"boxes-v{GENERATOR_VERSION}-n{n_rows}-seed{seed}.csv", n_rows, seed)
    target = Path(path).expanduser()
    if target.is_dir():
        raise ValueError(f"path {target} is a directory; give a file name")
    write_atomic(target, _csv_bytes(n_rows, seed), fsync=True)
    return target
