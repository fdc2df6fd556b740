"""The capstone: a training-time augmentation pipeline to speed up end to end.

A batch of training patches is cut from a synthetic document page (optkit.data), each with its
own random transformation, the way an image model's data loader does it on the CPU:

1. random resized crop: a box (y0, x0, h, w) of the page, resized to size x size
   (nearest neighbour: output pixel (r, c) reads source pixel (y0 + r*h//size, x0 + c*w//size));
2. random horizontal flip;
3. colour jitter: brightness (scale), contrast (blend with the patch's mean grey),
   saturation (blend with each pixel's grey), then clip to [0, 255];
4. normalise: BGR -> RGB, /255, minus the channel mean, over the channel std, channels first.

All random numbers are drawn UP FRONT into a parameter table (:func:`make_params`, seeded), so
any implementation that applies the same parameters gives the same batch, whatever order it
works in. :func:`augment_python` is the reference: per sample, per pixel, plain Python, the
way a first version is often written. The notebook 08_capstone.ipynb asks for a faster one.

Results: :func:`save_result` writes one JSON file per learner (name, machine, verdict, speedup)
to a results folder; ``optkit leaderboard FILES_OR_FOLDERS...`` gathers them into one table
(text or ``--json``) and a chart (``--png PATH``).
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import os
import platform
import re
import secrets
import warnings
from pathlib import Path

import numpy as np

from optkit.files import PUBLIC_MODE, write_atomic
from optkit.i18n import tr

__all__ = ["SIZE", "BATCH", "TARGET_SPEEDUP", "MEAN_RGB", "STD_RGB", "make_params", "make_args",
           "augment_python", "check_inputs", "GREY_BGR", "exercise", "result_record", "save_result", "results_dir",
           "ResultFileError",
           "show_batch", "learner_id", "default_name", "config_dir"]

SIZE = 48                 # output patch side
BATCH = 24                # samples per batch in the exercise
PAGE = (640, 480)         # page size (width, height) the patches are cut from
TARGET_SPEEDUP = 20.0
MEAN_RGB = (0.485, 0.456, 0.406)
STD_RGB = (0.229, 0.224, 0.225)
GREY_BGR = (0.114, 0.587, 0.299)      # grey = 0.114*B + 0.587*G + 0.299*R
JITTER = (0.7, 1.3)                   # brightness, contrast and saturation factors
SCHEMA = "optkit-capstone/1"
STATUSES = ("pass", "wrong", "too slow", "error", "timeout", "not yet")
PARAM_KEYS = ("y0", "x0", "h", "w", "flip", "brightness", "contrast", "saturation")
# What a result file may be: the leaderboard reads files other people wrote, so each is bounded.
MAX_RESULT_BYTES = 64 * 1024          # a real one is about 1 KB
MAX_JSON_DEPTH = 16                   # a real one nests 2 levels
SPEEDUP_RANGE = (1e-3, 1e6)           # outside: not a measurement of this pipeline
MAX_TEXT = 200                        # characters of a name or machine
MAX_CPUS = 1 << 16
FUTURE_SLACK = _dt.timedelta(days=1)  # clocks differ between machines; beyond this: a bogus date
CLOCK_SKEW = _dt.timedelta(minutes=5)  # a date later than now + this never replaces a row (leaderboard)


# --------------------------------------------------------------------------- the pipeline

def make_params(n: int, image_shape, size: int = SIZE, seed: int = 0) -> dict:
    """Draw every random choice for a batch of `n` samples up front (deterministic per seed).

    Returns {"size": int, "y0", "x0", "h", "w": int64 arrays (the crop box in the source),
    "flip": bool array, "brightness", "contrast", "saturation": float64 arrays}.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if int(size) != size or size < 2:
        raise ValueError(f"size must be an integer >= 2, got {size!r}")
    if len(image_shape) < 2:
        raise ValueError(f"image_shape must be (height, width[, channels]), got {image_shape!r}")
    H, W = int(image_shape[0]), int(image_shape[1])
    n, size = int(n), int(size)
    if H < size or W < size:
        raise ValueError(f"the image ({W}x{H}) is smaller than one patch ({size}x{size})")
    rng = np.random.default_rng(seed)
    side_max = min(3 * size, H, W)
    h = rng.integers(size // 2, side_max + 1, n)
    ratio = rng.uniform(3 / 4, 4 / 3, n)
    w = np.clip(np.round(h * ratio), 1, W).astype(np.int64)
    y0 = (rng.random(n) * (H - h + 1)).astype(np.int64)
    x0 = (rng.random(n) * (W - w + 1)).astype(np.int64)
    lo, hi = JITTER
    return {
        "size": size,
        "y0": y0, "x0": x0, "h": h.astype(np.int64), "w": w,
        "flip": rng.random(n) < 0.5,
        "brightness": rng.uniform(lo, hi, n),
        "contrast": rng.uniform(lo, hi, n),
        "saturation": rng.uniform(lo, hi, n),
    }


def check_inputs(image, params):
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("image must be an H x W x 3 uint8 array (BGR)")
    missing = [k for k in ("size",) + PARAM_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; build it with make_params()")


def augment_python(image, params):
    """Reference: per pixel, in plain Python.
    Returns float32 (n, 3, size, size)."""
    check_inputs(image, params)
    S = params["size"]
    n = len(params["y0"])
    out = np.empty((n, 3, S, S), dtype=np.float32)
    for i in range(n):
        y0 = int(params["y0"][i])
        x0 = int(params["x0"][i])
        h = int(params["h"][i])
        w = int(params["w"][i])
        flip = bool(params["flip"][i])
        bright = float(params["brightness"][i])
        contrast = float(params["contrast"][i])
        sat = float(params["saturation"][i])

        # 1-2. resized crop (nearest neighbour) and
        # flip, with brightness on the way
        patch = []
        for r in range(S):
            sy = y0 + (r * h) // S
            row = []
            for c in range(S):
                sc = S - 1 - c if flip else c
                sx = x0 + (sc * w) // S
                b, g, rd = image[sy, sx]
                row.append([float(b) * bright,
                            float(g) * bright,
                            float(rd) * bright])
            patch.append(row)

        # 3a. mean grey of the patch (for contrast)
        total = 0.0
        for r in range(S):
            for c in range(S):
                b, g, rd = patch[r][c]
                total += (GREY_BGR[0] * b
                          + GREY_BGR[1] * g
                          + GREY_BGR[2] * rd)
        mean = total / (S * S)

        # 3b-4. contrast, saturation, clip, then
        # normalise into channels-first RGB
        for r in range(S):
            for c in range(S):
                b, g, rd = patch[r][c]
                b = mean + contrast * (b - mean)
                g = mean + contrast * (g - mean)
                rd = mean + contrast * (rd - mean)
                grey = (GREY_BGR[0] * b
                        + GREY_BGR[1] * g
                        + GREY_BGR[2] * rd)
                b = grey + sat * (b - grey)
                g = grey + sat * (g - grey)
                rd = grey + sat * (rd - grey)
                b = min(max(b, 0.0), 255.0)
                g = min(max(g, 0.0), 255.0)
                rd = min(max(rd, 0.0), 255.0)
                v = rd / 255.0 - MEAN_RGB[0]
                out[i, 0, r, c] = v / STD_RGB[0]
                v = g / 255.0 - MEAN_RGB[1]
                out[i, 1, r, c] = v / STD_RGB[1]
                v = b / 255.0 - MEAN_RGB[2]
                out[i, 2, r, c] = v / STD_RGB[2]
    return out


@functools.lru_cache(maxsize=8)
def _page(seed: int):
    from optkit import data

    img = data.make_document(PAGE[0], PAGE[1], n_boxes=80, seed=seed).image
    img.setflags(write=False)
    return img


def make_args(seed: int = 0, n: int = BATCH, size: int = SIZE):
    """(image, params) for one batch: a page from optkit.data and its parameter table."""
    image = _page(int(seed))
    return image, make_params(n, image.shape, size, seed)


def exercise(target_speedup: float = TARGET_SPEEDUP, batch: int = BATCH):
    """The capstone self-check: same batch as augment_python on three seeds, then the speedup."""
    from optkit.check import Exercise

    return Exercise("capstone: augmentation pipeline", reference=augment_python,
                    make_args=lambda seed: make_args(seed, batch),
                    target_speedup=target_speedup, rtol=1e-5, atol=1e-5, time_budget_s=90)


def show_batch(batch, k: int = 12, title: str | None = None):
    """A grid of the first `k` patches of a normalised batch (undoing the normalisation)."""
    from optkit import plot

    batch = np.asarray(batch)
    if batch.ndim != 4 or batch.shape[1] != 3:
        raise ValueError(f"expected a (n, 3, size, size) batch, got shape {batch.shape}")
    k = max(1, min(int(k), len(batch)))
    cols = min(k, 6)
    rows = math.ceil(k / cols)
    fig = plot.figure(figsize=(1.3 * cols, 1.35 * rows + (0.3 if title else 0)), layout=None)
    mean = np.array(MEAN_RGB)[:, None, None]
    std = np.array(STD_RGB)[:, None, None]
    for j in range(rows * cols):
        ax = fig.add_subplot(rows, cols, j + 1)
        ax.set_axis_off()
        if j < k:
            rgb = np.clip((batch[j] * std + mean), 0, 1).transpose(1, 2, 0)
            ax.imshow(rgb, interpolation="nearest")
            ax.set_title(str(j), fontsize=8)
    if title:
        fig.suptitle(tr(title), fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- results

class ResultFileError(ValueError):
    """A capstone result file that cannot be used (names the file and the problem)."""


def results_dir() -> Path:
    """Where save_result writes: $OPTKIT_RESULTS, else ~/optkit-results."""
    env = os.environ.get("OPTKIT_RESULTS")
    return Path(env).expanduser() if env else Path.home() / "optkit-results"


def config_dir() -> Path:
    """optkit's per-user settings folder: $OPTKIT_CONFIG, else $XDG_CONFIG_HOME/optkit, else
    ~/.config/optkit (%APPDATA%\\optkit on Windows)."""
    env = os.environ.get("OPTKIT_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or (os.environ.get("APPDATA") if os.name == "nt" else None)
    return (Path(base) if base else Path.home() / ".config") / "optkit"


_ID_RE = re.compile(r"learner-[0-9a-f]{8,32}")


def learner_id() -> str:
    """A random id ("learner-1a2b3c4d"), made once per account and kept in config_dir(): stable
    across runs and kernels, and not the login name. Learners sharing one account share it; the
    name they type keeps their results apart (:func:`save_result`). An existing id file is never
    rewritten."""
    path = config_dir() / "learner-id"
    for _ in range(2):
        try:
            text = path.read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError:
            text = None
        except OSError:
            break
        if text is not None:
            if _ID_RE.fullmatch(text):
                return text
            # not ours (edited by hand?): keep the file, derive a stable id from it
            import hashlib

            return "learner-" + hashlib.sha256(text.encode()).hexdigest()[:8]
        new = f"learner-{secrets.token_hex(4)}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue                      # another kernel made it first: read theirs
        except OSError:
            break
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new + "\n")
        return new
    fallback = f"learner-{secrets.token_hex(4)}"
    warnings.warn(f"could not keep a learner id in {path}; using {fallback} for this session only",
                  RuntimeWarning, stacklevel=2)
    return fallback


def default_name() -> str:
    """The name a result gets when the learner gives none: $OPTKIT_LEARNER, else learner_id()."""
    env = os.environ.get("OPTKIT_LEARNER", "").strip()
    return env or learner_id()


def _machine() -> dict:
    from optkit.machine import cpu_model, usable_cpus

    cpus = usable_cpus()
    try:
        model = cpu_model()
    except Exception:
        model = platform.processor() or platform.machine()
    return {"machine": platform.node() or "unknown", "cpu_model": model, "cpus": cpus}


def _end_to_end(measurement, label):
    """(speedup, details) from a bench.Comparison of the reference and the learner's version."""
    labels = list(getattr(measurement, "labels", []))
    base = getattr(measurement, "baseline", None)
    if not labels or base is None:
        raise ValueError(f"measurement must be an optkit.bench Comparison, got {measurement!r}")
    if label is None:
        others = [x for x in labels if x != base]
        label = "augment_fast" if "augment_fast" in others else (others[-1] if others else None)
    if label not in labels or label == base:
        raise ValueError(f"no variant {label!r} to rank in the measurement (variants: {labels})")
    row, ref = measurement[label], measurement[base]
    details = {"variant": str(label), "baseline": str(base), "median_s": row.median_s,
               "iqr_s": row.iqr_s, "baseline_median_s": ref.median_s, "baseline_iqr_s": ref.iqr_s,
               "repeats": row.repeats, "loops": row.loops}
    return float(measurement.speedup(label)), details


def result_record(verdict, name: str, measurement=None, label=None) -> dict:
    """The JSON-ready record of one learner's capstone check.

    ``measurement``: the notebook's end-to-end ``bench.compare`` of the reference and the
    learner's version (more repeats, interleaved, median). When given, ITS speedup is the one
    the leaderboard ranks (``speedup``; ``speedup_source`` says "end to end"), and the
    check's shorter timing is kept beside it as ``check_speedup``. ``label``: the variant
    to rank (default ``augment_fast``, else the last one that is not the baseline)."""
    name = str(name).strip()
    if not name:
        raise ValueError("name must not be empty (set NAME in the notebook)")
    if len(name) > MAX_TEXT:           # the leaderboard would skip the file (A11 3)
        raise ValueError(f"name must be at most {MAX_TEXT} characters, got {len(name)} (set NAME in the notebook)")
    status = getattr(verdict, "status", None)
    if status not in STATUSES:
        raise ValueError(f"expected an optkit.check Verdict, got {verdict!r}")
    check_speedup = getattr(verdict, "speedup", None)
    check_speedup = None if check_speedup is None else float(check_speedup)
    speedup, source, e2e = check_speedup, "check", None
    if measurement is not None and status in ("pass", "too slow"):   # correct: its time counts
        speedup, e2e = _end_to_end(measurement, label)
        source = "end to end"
    rec = {"schema": SCHEMA, "name": name, **_machine(), "verdict": status,
           "passed": status == "pass",
           "speedup": speedup,
           "speedup_source": source,
           "check_speedup": check_speedup,
           "target": getattr(verdict, "target", None),
           "timings_s": dict(getattr(verdict, "timings", {}) or {}),
           "message": getattr(verdict, "message", ""),
           "python": platform.python_version(),
           "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    if e2e is not None:
        rec["end_to_end"] = e2e
    try:
        from optkit import __version__

        rec["optkit"] = __version__
    except ImportError:
        pass
    return rec


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s).strip("-")[:60] or "x"


def save_result(verdict, name: str | None = None, folder=None, measurement=None) -> Path:
    """Write the learner's result to FOLDER/capstone-<learner id>-<name>-<machine>.json, the
    name inside the file. The id is kept per account (:func:`learner_id`), so a typed name is in
    the file name too (its slug and a digest of it; ``_`` for a run under the id itself):
    learners sharing one account who each type their own name keep a file each (A10 1), and
    re-running under the same name overwrites it. A run saved under the id itself (no name, no
    $OPTKIT_LEARNER) gives way on the leaderboard to a newer named row of the same id and machine. `name=None`: default_name().
    ``measurement``: the end-to-end ``bench.compare`` whose speedup the leaderboard ranks (see
    :func:`result_record`). Nothing is deleted: a file saved under an older scheme, under
    another name, or copied by hand, stays."""
    import hashlib

    rec = result_record(verdict, default_name() if name is None else name, measurement=measurement)
    rec["learner"] = learner_id()
    folder = Path(folder) if folder is not None else results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # "-_" for a run under the id itself: a name the scheme before this one (the id alone) never
    # used, so a file it left, holding a typed name, is never overwritten (A11 2)
    named = "-_" if rec["name"] == rec["learner"] else \
        f"-{_slug(rec['name'])[:24]}-{hashlib.sha256(rec['name'].encode('utf-8', 'replace')).hexdigest()[:6]}"
    path = folder / f"capstone-{_slug(rec['learner'])}{named}-{_slug(rec['machine'])}.json"
    # the results folder may be shared: a fresh temporary name (O_EXCL, never a planted link),
    # readable by the leaderboard
    write_atomic(path, json.dumps(rec, indent=1), mode=PUBLIC_MODE)
    return path
